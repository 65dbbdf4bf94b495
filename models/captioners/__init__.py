"""Captioners, chosen by name in config and on the command line.

    from models.captioners import get_captioner
    caption = get_captioner("sight").caption(rgb_array_or_pil_image)

`sight` (default) looks at the photo: an object head and a caption decoder trained on captioned
photos, over a frozen ImageNet backbone, all offline; `words` is the older captioner built
from words alone (kept to measure against); `scene` describes colour, light and setting with
OpenCV alone (the fallback); `hf` runs a Hugging Face image-to-text model from a local folder
or the local hub cache (pip install "narrated-reality[hf]").
"""
from __future__ import annotations

import logging

from .base import Caption, Captioner, ImageError, load_image, to_rgb

log = logging.getLogger(__name__)

NAMES = ("sight", "words", "scene", "hf")
DEFAULT = "sight"
FALLBACK = {"sight": "scene", "words": "scene"}   # when a captioner cannot run here, what runs instead (loudly)


def _registry() -> dict[str, type[Captioner]]:
    from .hf import HFCaptioner
    from .scene import SceneCaptioner
    from .sight import SightCaptioner
    from .words import WordsCaptioner
    return {"sight": SightCaptioner, "words": WordsCaptioner, "scene": SceneCaptioner, "hf": HFCaptioner}


def which_captioner(name: str = DEFAULT) -> tuple[str, str]:
    """(the captioner that will run for `name`, why): what `narrator doctor` reports."""
    registry = _registry()
    if name not in registry:
        raise ValueError(f"unknown captioner {name!r}: choose one of {', '.join(NAMES)}")
    ok, why = registry[name].available()
    if ok:
        return name, "available"
    if name in FALLBACK:
        return FALLBACK[name], f"{name!r} cannot run here ({why}); falling back to {FALLBACK[name]!r}"
    raise RuntimeError(f"captioner {name!r} cannot run here: {why}")


def get_captioner(name: str = DEFAULT, **options) -> Captioner:
    """The captioner `name`, or its fallback with a warning when it cannot run here."""
    chosen, why = which_captioner(name)
    if chosen != name:
        log.warning("captioner %s", why)
        options = {}
    return _registry()[chosen](**options)


__all__ = ["Caption", "Captioner", "ImageError", "get_captioner", "which_captioner", "load_image", "to_rgb",
           "NAMES", "DEFAULT"]
