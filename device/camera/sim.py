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

import cv2
import numpy as np

from models.captioners import ImageError, load_image

from .base import Camera, CameraError

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


def generated_scene(i: int, w: int = 1280, h: int = 720) -> np.ndarray:
    """A small repertoire of synthetic scenes so dev mode works with nothing attached."""
    rng = np.random.default_rng(i)
    kind = i % 4
    img = np.empty((h, w, 3), np.uint8)
    if kind == 0:    # sky over a field, a sun
        img[: h // 2] = (95, 150, 235)
        img[h // 2:] = (50, 150, 60)
        cv2.circle(img, (int(rng.integers(100, w - 100)), h // 5), 50, (255, 230, 120), -1)
    elif kind == 1:  # a dim room with a coloured lamp
        img[:] = (60, 50, 45)
        cv2.rectangle(img, (w - 300, 80), (w - 160, 260), (40, 90, 255), -1)
    elif kind == 2:  # a grey wall with a red object
        img[:] = (140, 140, 135)
        cv2.circle(img, (w // 2, h // 2), 90, (210, 30, 30), -1)
    else:            # a cluttered desk
        img[:] = (190, 180, 160)
        for _ in range(250):
            x, y = (int(v) for v in rng.integers(0, [w, h]))
            cv2.rectangle(img, (x, y), (x + 50, y + 30), tuple(int(v) for v in rng.integers(0, 255, 3)), 2)
    return img
