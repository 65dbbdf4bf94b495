"""Controls: the button and the knob, from the Arduino box, the keyboard, or a script.

    controls = open_controls(config.controls)       # or open_controls(config.controls, backend="none")
    event = controls.poll(timeout=0.5)    # ControlEvent("press") / ("long_press") / ("knob", 0.42) / ("quit")
    controls.set_status("busy")           # drives the box's LED; logged elsewhere

Every source queues events from its own thread, so the daemon's loop only ever polls. The
backend is chosen by argument, then controls.backend, then $NARRATOR_CONTROLS, then "keyboard"
(device/backends.py). One module per backend: serial_box.py (the Arduino box, protocol in
hardware/PROTOCOL.md), keyboard.py; sim.py has the simulated twins.
"""
from __future__ import annotations

from ..backends import resolve_backend
from .base import STATUSES, ControlEvent, Controls, NoControls
from .keyboard import KeyboardControls
from .serial_box import SerialControls, parse_line
from .sim import ScriptedControls, SimBox

BACKENDS = {"serial": SerialControls, "keyboard": KeyboardControls, "none": NoControls}
__all__ = ["BACKENDS", "STATUSES", "ControlEvent", "Controls", "KeyboardControls", "NoControls",
           "ScriptedControls", "SerialControls", "SimBox", "open_controls", "parse_line"]


def open_controls(cfg, backend: str | None = None) -> Controls:
    name = resolve_backend("controls", cfg, backend, BACKENDS, default="keyboard", fallback="keyboard")
    if name == "serial":
        return SerialControls(cfg.port, cfg.baudrate, cfg.reset_wait_s)
    return BACKENDS[name]()
