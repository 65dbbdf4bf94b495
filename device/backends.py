"""Which backend a device runs: chosen by argument, then config, then environment, then default.

    name = choose_backend("printer", argument=None, configured=config.printer.backend, default="sim")

The environment variable NARRATOR_<DEVICE> (NARRATOR_CAMERA, NARRATOR_PRINTER, NARRATOR_CONTROLS)
picks a backend when neither the caller nor the config file names one, as GPIOZERO_PIN_FACTORY
does for gpiozero. A backend that cannot run on this machine falls back to the simulator with a
warning that says so loudly: a gallery must never print generated scenes without a word in the log.
"""
from __future__ import annotations

import logging
import os

from .errors import DeviceError

log = logging.getLogger(__name__)


class BackendError(DeviceError, ValueError):
    """A backend name that no device knows."""


def choose_backend(device: str, argument: str | None, configured: str, default: str,
                   known: tuple[str, ...]) -> str:
    env = f"NARRATOR_{device.upper()}"
    for name, where in ((argument, "argument"), (configured, f"{device}.backend"), (os.environ.get(env), env)):
        if name:
            if name not in known:
                raise BackendError(f"{where}: {name!r} is not a {device} backend ({', '.join(known)})")
            return name
    return default


def warn_fallback(device: str, backend: str, why: str) -> None:
    log.warning("!!! %s: the %s backend cannot run here (%s); FALLING BACK TO THE SIMULATED %s !!!",
                device, backend, why, device.upper())
