"""What every camera offers the daemon: the freshest frame, a name, and close()."""
from __future__ import annotations

import numpy as np

from ..errors import DeviceError


class CameraError(DeviceError, RuntimeError):
    """No frame could be had from the camera; the message says which camera and what to check."""


class Camera:
    name = "camera"

    @classmethod
    def available(cls, cfg) -> tuple[bool, str]:
        """(can run on this machine, why not): checked before opening, so a missing backend
        falls back to the simulator loudly instead of failing at the first press."""
        return True, ""

    def frame(self) -> np.ndarray:
        """The newest frame, (H, W, 3) uint8 RGB; raises CameraError."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def describe(self) -> str:
        return self.name
