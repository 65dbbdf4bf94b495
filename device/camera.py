"""Cameras: a real OpenCV camera and a simulated twin, behind one small interface.

    camera = open_camera(config.camera)
    rgb = camera.frame()      # the freshest frame, (H, W, 3) uint8 RGB
    camera.close()

OpenCVCamera keeps a grabber thread reading the device all the time and holding only the latest
frame, because V4L2 drivers buffer frames and a plain read() after a pause returns an old one.
When the device fails (cable pulled) the thread reopens it with back-off; frame() raises
CameraError if no fresh frame arrives in time. Jetson CSI cameras are opened with a GStreamer
pipeline string as the source, which needs JetPack's GStreamer-enabled OpenCV (a venv made
with --system-site-packages and no pip OpenCV in it).
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import cv2
import numpy as np

from models.captioners import ImageError, load_image

from .loglimit import Throttle

log = logging.getLogger(__name__)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


class CameraError(RuntimeError):
    """No frame could be had from the camera."""


class Camera:
    name = "camera"

    def frame(self) -> np.ndarray:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def describe(self) -> str:
        return self.name


class OpenCVCamera(Camera):
    name = "opencv"

    def __init__(self, source: int | str = 0, width: int = 1280, height: int = 720,
                 fresh_timeout_s: float = 3.0, backoff_max_s: float = 10.0):
        self.source, self.width, self.height = source, width, height
        self.fresh_timeout_s, self.backoff_max_s = fresh_timeout_s, backoff_max_s
        self._latest: np.ndarray | None = None
        self._stamp = 0.0
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self.last_error = ""
        self._thread = threading.Thread(target=self._grab_loop, name="camera-grabber", daemon=True)
        self._thread.start()

    def _open(self) -> cv2.VideoCapture:
        src = self.source
        if isinstance(src, str) and src.isdigit():
            src = int(src)
        if isinstance(src, str) and "!" in src:  # a GStreamer pipeline (Jetson CSI cameras)
            cap = cv2.VideoCapture(src, cv2.CAP_GSTREAMER)
        else:
            cap = cv2.VideoCapture(src)
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        return cap

    def _grab_loop(self) -> None:
        backoff = 0.5
        throttle = Throttle(log)
        while not self._stop.is_set():
            cap = self._open()
            if not cap.isOpened():
                self.last_error = f"cannot open camera {self.source!r}"
                throttle.warning("open", "%s; retrying in %.1f s", self.last_error, backoff)
                self._stop.wait(backoff)
                backoff = min(self.backoff_max_s, backoff * 2)
                continue
            delivered = False
            while not self._stop.is_set():
                ok, bgr = cap.read()
                if not ok:
                    self.last_error = f"camera {self.source!r} stopped delivering frames"
                    throttle.warning("read", "%s; reopening in %.1f s", self.last_error, backoff)
                    break
                if not delivered:
                    log.info("camera %r delivering frames", self.source)
                delivered, backoff, self.last_error = True, 0.5, ""
                with self._cond:
                    self._latest, self._stamp = bgr, time.monotonic()
                    self._cond.notify_all()
            cap.release()
            self._stop.wait(backoff)
            if not delivered:   # opens but gives nothing: back off like a camera that will not open
                backoff = min(self.backoff_max_s, backoff * 2)

    def frame(self) -> np.ndarray:
        """The newest frame taken after this call began (never one that sat in a buffer)."""
        asked = time.monotonic()
        with self._cond:
            if not self._cond.wait_for(lambda: self._stamp > asked, timeout=self.fresh_timeout_s):
                raise CameraError(f"no frame from camera {self.source!r} in {self.fresh_timeout_s:.0f} s"
                                  f"{': ' + self.last_error if self.last_error else ''}. Check the cable "
                                  "and that no other program holds the camera.")
            bgr = self._latest
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def describe(self) -> str:
        return f"opencv {self.source!r}"


class SimCamera(Camera):
    """Images from a folder in turn, or generated scenes when no folder is given."""

    name = "sim"

    def __init__(self, folder: str | Path = "", images: list[np.ndarray] | None = None):
        self.files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES) if folder else []
        if folder and not self.files:
            raise CameraError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {folder}")
        self.images = images
        self.count = 0

    def frame(self) -> np.ndarray:
        i, self.count = self.count, self.count + 1
        if self.images:
            return self.images[i % len(self.images)]
        if self.files:
            try:
                return load_image(self.files[i % len(self.files)])
            except ImageError as e:
                raise CameraError(str(e)) from None
        return generated_scene(i)

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


def open_camera(cfg) -> Camera:
    """The camera named in config."""
    if cfg.backend == "sim":
        if cfg.webcam:
            return OpenCVCamera(0, cfg.width, cfg.height)
        return SimCamera(cfg.folder)
    return OpenCVCamera(cfg.source, cfg.width, cfg.height)
