"""The captioner interface: an image in (any size or mode), a caption and its details out."""
from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..errors import ModelError


# The most pixels decoded at once: a 24 MP photo is ~72 MB as RGB. Bigger JPEGs are decoded
# downscaled (draft mode, 1/2 to 1/8, at no extra memory); anything else bigger is refused.
MAX_PIXELS = 24_000_000


class ImageError(ModelError, ValueError):
    """An image file is missing, unreadable or corrupt."""


@dataclass
class Caption:
    text: str
    details: dict = field(default_factory=dict)   # what the captioner found
    seconds: float = 0.0


def to_rgb(image) -> np.ndarray:
    """Any PIL image or array (grayscale, RGB, RGBA, float) -> contiguous uint8 RGB (H, W, 3).
    Transparent pixels are laid on white, as they would print; 16-bit images are scaled, not
    clipped (a 16-bit PNG would otherwise come out white)."""
    if isinstance(image, Image.Image) and image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        image = np.asarray(image)
    if isinstance(image, Image.Image):
        if image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            image = Image.alpha_composite(white, rgba)
        return np.ascontiguousarray(np.asarray(image.convert("RGB")))
    a = np.asarray(image)
    if a.dtype != np.uint8:
        if a.dtype.kind == "f":
            a = a * 255 if a.size and a.max() <= 1.0 else a
        elif a.size and a.max() > 255:   # 16-bit (or wider) integers: 0..65535 -> 0..255
            a = a / 257.0
        a = np.clip(a, 0, 255).astype(np.uint8)
    if a.ndim == 2:
        a = np.stack([a] * 3, axis=-1)
    elif a.ndim == 3 and a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    elif a.ndim == 3 and a.shape[2] == 4:
        alpha = a[..., 3:4].astype(np.float32) / 255
        a = (a[..., :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)
    if a.ndim != 3 or a.shape[2] != 3 or a.size == 0:
        raise ImageError(f"not an image array: shape {a.shape}")
    return np.ascontiguousarray(a)


def load_image(path: str | Path) -> np.ndarray:
    """Read an image file as RGB; a missing or corrupt file raises ImageError naming it."""
    path = Path(path)
    if path.is_dir():
        raise ImageError(f"{path} is a folder, not an image")
    try:
        with warnings.catch_warnings():   # the size is checked here, not warned of
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                if im.width * im.height > MAX_PIXELS and im.format == "JPEG":
                    # decode at 1/2, 1/4 or 1/8 scale, the least that fits: memory stays bounded
                    k = min(8, 2 ** math.ceil(math.log2(math.sqrt(im.width * im.height / MAX_PIXELS))))
                    im.draft("RGB", (math.ceil(im.width / k), math.ceil(im.height / k)))
                if im.width * im.height > MAX_PIXELS:
                    raise ImageError(f"{path} is {im.width}x{im.height} pixels, over the limit of {MAX_PIXELS:,} "
                                     f"({MAX_PIXELS / 1e6:.0f} MP): scale it down first")
                im.load()
                return to_rgb(im)
    except FileNotFoundError:
        raise ImageError(f"image not found: {path}") from None
    except Image.DecompressionBombError as e:
        raise ImageError(f"{path} is over the limit of {MAX_PIXELS:,} pixels ({MAX_PIXELS / 1e6:.0f} MP), "
                         f"too large to decode safely: scale it down first ({e})") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        if isinstance(e, ImageError):
            raise
        raise ImageError(f"{path} is not a readable image (corrupt or truncated?): {e}") from None


class Captioner:
    """Subclasses set `name` and implement describe(rgb) -> (text, details)."""

    name = "base"

    @classmethod
    def available(cls) -> tuple[bool, str]:
        """Whether this backend can run here, and if not, why (missing package, model...)."""
        return True, ""

    def describe(self, rgb: np.ndarray) -> tuple[str, dict]:
        raise NotImplementedError

    def caption(self, image) -> Caption:
        t0 = time.perf_counter()
        text, details = self.describe(to_rgb(image))
        text = " ".join(text.split()) or "a picture of something"
        return Caption(text, details, time.perf_counter() - t0)
