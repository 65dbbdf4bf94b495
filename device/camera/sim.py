"""The simulated camera: image files in turn, or generated scenes when no folder is given.

Like gpiozero's mock pins it doubles as a test tool. Its fault knobs make it fail the way a
real camera does, so the soak and the tests need no camera of their own:
- `fail_next`: the next n frames raise CameraError (a cable pulled, then plugged back);
- `fail_rate` with `rng`: each frame fails with this probability (counted in `failures`);
- `gate`: frame() waits until the event is set (a test can press while a job is running).
"""
from __future__ import annotations

import random
import threading
from pathlib import Path

import numpy as np

from models.captioners import ImageError, load_image

from .base import Camera, CameraError
from .scenes import generated_scene

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


class SimCamera(Camera):
    name = "sim"

    def __init__(self, folder: str | Path = "", images: list[np.ndarray] | None = None,
                 size: tuple[int, int] = (1280, 720)):
        self.files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES) if folder else []
        if folder and not self.files:
            raise CameraError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {folder}")
        self.images, self.size = images, size
        self.count = 0
        self.fail_next = 0
        self.fail_rate, self.rng, self.failures = 0.0, random.Random(0), 0
        self.gate: threading.Event | None = None

    def frame(self) -> np.ndarray:
        if self.gate is not None:
            self.gate.wait(10)
        i, self.count = self.count, self.count + 1
        if self.fail_next > 0 or (self.fail_rate and self.rng.random() < self.fail_rate):
            self.fail_next = max(0, self.fail_next - 1)
            self.failures += 1
            raise CameraError("camera sim stopped delivering frames (simulated fault)")
        if self.images:
            return self.images[i % len(self.images)]
        if self.files:
            try:
                return load_image(self.files[i % len(self.files)])
            except ImageError as e:
                raise CameraError(str(e)) from None
        return generated_scene(i, *self.size)

    def describe(self) -> str:
        return f"sim ({len(self.files)} images from a folder)" if self.files else "sim (generated scenes)"
