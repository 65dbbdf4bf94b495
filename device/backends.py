"""Which backend a device runs: chosen by argument, then config, then environment, then default.

    name = resolve_backend("printer", config.printer, None, BACKENDS, default="sim", fallback="sim")

The environment variable NARRATOR_<DEVICE> (NARRATOR_CAMERA, NARRATOR_PRINTER, NARRATOR_CONTROLS)
picks a backend when neither the caller nor the config file names one, as GPIOZERO_PIN_FACTORY
does for gpiozero. A backend that cannot run on this machine falls back to the simulator with a
warning that says so loudly: a gallery must never print the sample photos without a word in the log.
"""
from __future__ import annotations

import logging
import os

from .errors import DeviceError

log = logging.getLogger(__name__)


class BackendError(DeviceError, ValueError):
    """A backend name that no device knows."""


def resolve_backend(device: str, cfg, argument: str | None, backends: dict, default: str, fallback: str) -> str:
    """The backend to open: chosen (choose_backend), then checked with its available(cfg);
    one that cannot run here becomes `fallback`, with a loud warning."""
    name = choose_backend(device, argument, cfg.backend, default, tuple(backends))
    ok, why = backends[name].available(cfg)
    if not ok:
        log.warning("!!! %s: the %s backend cannot run here (%s); FALLING BACK TO THE %s %s !!!",
                    device, name, why, "SIMULATED" if fallback == "sim" else fallback.upper(), device.upper())
        return fallback
    return name


def choose_backend(device: str, argument: str | None, configured: str, default: str,
                   known: tuple[str, ...]) -> str:
    env = f"NARRATOR_{device.upper()}"
    for name, where in ((argument, "argument"), (configured, f"{device}.backend"), (os.environ.get(env), env)):
        if name:
            if name not in known:
                raise BackendError(f"{where}: {name!r} is not a {device} backend ({', '.join(known)})")
            return name
    return default
