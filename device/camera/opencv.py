"""The real camera: OpenCV, a USB/V4L2 device or a GStreamer pipeline (Jetson CSI).

OpenCVCamera keeps a grabber thread reading the device all the time and holding only the latest
frame, because V4L2 drivers buffer frames and a plain read() after a pause returns an old one.
When the device fails (cable pulled) the thread reopens it with back-off; frame() raises
CameraError if no fresh frame arrives in time. Jetson CSI cameras are opened with a GStreamer
pipeline string as the source, which needs JetPack's GStreamer-enabled OpenCV (a venv made
with --system-site-packages and no pip OpenCV in it): available() says so before opening.
"""
from __future__ import annotations

import logging
import re
import threading
import time

import cv2
import numpy as np

from ..loglimit import Throttle
from .base import Camera, CameraError

log = logging.getLogger(__name__)


def is_pipeline(source) -> bool:
    return isinstance(source, str) and "!" in source


class OpenCVCamera(Camera):
    name = "opencv"

    @classmethod
    def available(cls, cfg) -> tuple[bool, str]:
        if is_pipeline(cfg.source) and not re.search(r"GStreamer:\s*YES", cv2.getBuildInformation()):
            return False, ("camera.source is a GStreamer pipeline but this OpenCV was built without "
                           "GStreamer (pip's opencv-python never has it; on a Jetson use JetPack's)")
        return True, ""

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
        if is_pipeline(src):
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
