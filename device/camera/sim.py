"""The simulated camera: image files in turn, or the shipped sample photos (samples/, four
real photographs free of copyright) when no folder is given.

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

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
SAMPLES = Path(__file__).parent / "samples"


class SimCamera(Camera):
    name = "sim"

    def __init__(self, folder: str | Path = "", images: list[np.ndarray] | None = None):
        self.folder = Path(folder or SAMPLES)
        self.files = sorted(p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise CameraError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {folder}")
        self.images = images
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
        try:
            return load_image(self.files[i % len(self.files)])
        except ImageError as e:
            raise CameraError(str(e)) from None

    def describe(self) -> str:
        where = "sample photos" if self.folder == SAMPLES else f"images from {self.folder}"
        return f"sim ({len(self.files)} {where})"
