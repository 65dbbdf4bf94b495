"""Cameras: the real OpenCV camera and its simulated twin, behind one small interface.

    camera = open_camera(config.camera)      # or open_camera(config.camera, backend="sim")
    rgb = camera.frame()                     # the freshest frame, (H, W, 3) uint8 RGB
    camera.close()

The backend is chosen by argument, then camera.backend, then $NARRATOR_CAMERA, then "sim"
(device/backends.py). One module per backend: opencv.py, sim.py.
"""
from __future__ import annotations

from ..backends import resolve_backend
from .base import Camera, CameraError
from .opencv import OpenCVCamera
from .scenes import generated_scene
from .sim import IMAGE_SUFFIXES, SimCamera

BACKENDS = {"opencv": OpenCVCamera, "sim": SimCamera}
__all__ = ["BACKENDS", "Camera", "CameraError", "IMAGE_SUFFIXES", "OpenCVCamera", "SimCamera",
           "generated_scene", "open_camera"]


def open_camera(cfg, backend: str | None = None) -> Camera:
    name = resolve_backend("camera", cfg, backend, BACKENDS, default="sim", fallback="sim")
    if name == "opencv":
        return OpenCVCamera(cfg.source, cfg.width, cfg.height)
    return SimCamera(cfg.folder)
