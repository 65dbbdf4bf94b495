"""Captioners, chosen by name in config and on the command line.

    from models.captioners import get_captioner
    caption = get_captioner("scene").caption(rgb_array_or_pil_image)

`scene` (default) needs nothing beyond OpenCV; `hf` runs a Hugging Face image-to-text model
from a local folder or the local hub cache (pip install "narrated-reality[hf]").
"""
from __future__ import annotations

from .base import Caption, Captioner, ImageError, load_image, to_rgb


def _registry() -> dict[str, type[Captioner]]:
    from .hf import HFCaptioner
    from .scene import SceneCaptioner
    return {"scene": SceneCaptioner, "hf": HFCaptioner}


NAMES = ("scene", "hf")


def get_captioner(name: str = "scene", **options) -> Captioner:
    registry = _registry()
    if name not in registry:
        raise ValueError(f"unknown captioner {name!r}: choose one of {', '.join(NAMES)}")
    cls = registry[name]
    ok, why = cls.available()
    if not ok:
        raise RuntimeError(f"captioner {name!r} cannot run here: {why}")
    return cls(**options)


__all__ = ["Caption", "Captioner", "ImageError", "get_captioner", "load_image", "to_rgb", "NAMES"]
