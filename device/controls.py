"""Controls: the button and the knob, from the Arduino box, the keyboard, or a script.

    controls = open_controls(config.controls, dev=True)
    event = controls.poll(timeout=0.5)    # ControlEvent("press") / ("long_press") / ("knob", 0.42) / ("quit")
    controls.set_status("busy")           # drives the box's LED; logged elsewhere

Every source queues events from its own thread, so the daemon's loop only ever polls.
"""
from __future__ import annotations

import logging
import queue
import sys
import threading
from dataclasses import dataclass

log = logging.getLogger(__name__)
STATUSES = ("idle", "busy", "error", "paper-out")


@dataclass(frozen=True)
class ControlEvent:
    kind: str                 # press | long_press | knob | reload | quit
    value: float | None = None


class Controls:
    name = "controls"

    def __init__(self):
        self.events: queue.Queue[ControlEvent] = queue.Queue()
        self.status = "idle"
        self.status_history: list[str] = []

    def poll(self, timeout: float | None = None) -> ControlEvent | None:
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def set_status(self, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        if status != self.status:
            self.status = status
            self.status_history.append(status)
            self._show_status(status)

    def _show_status(self, status: str) -> None:
        pass

    def close(self) -> None:
        pass

    def describe(self) -> str:
        return self.name


class ScriptedControls(Controls):
    """For tests and benchmarks: call press(), long_press(), knob(x), quit()."""

    name = "scripted"

    def press(self):
        self.events.put(ControlEvent("press"))

    def long_press(self):
        self.events.put(ControlEvent("long_press"))

    def knob(self, position: float):
        self.events.put(ControlEvent("knob", position))

    def quit(self):
        self.events.put(ControlEvent("quit"))


class KeyboardControls(Controls):
    """Dev mode: Enter = press, r + Enter = long press (reprint), 0-9 + Enter = knob, q = quit.
    The end of input also quits."""

    name = "keyboard"

    def __init__(self, stream=None):
        super().__init__()
        self.stream = stream or sys.stdin
        threading.Thread(target=self._read, name="keyboard", daemon=True).start()

    def _read(self) -> None:
        for line in self.stream:
            key = line.strip().lower()
            if key == "":
                self.events.put(ControlEvent("press"))
            elif key == "r":
                self.events.put(ControlEvent("long_press"))
            elif key.isdigit() and len(key) == 1:
                self.events.put(ControlEvent("knob", int(key) / 9))
            elif key == "q":
                break
            else:
                print("keys: Enter = take a photo, r = reprint, 0-9 = knob, q = quit", file=sys.stderr)
        self.events.put(ControlEvent("quit"))

    def _show_status(self, status: str) -> None:
        log.info("status light: %s", status)


class NoControls(Controls):
    """No button at all: jobs come from `narrator snap` or a script."""

    name = "none"


def open_controls(cfg, dev: bool = False) -> Controls:
    """Dev mode always reads the keyboard; otherwise the backend named in config."""
    if cfg.backend == "keyboard" or dev:
        return KeyboardControls()
    if cfg.backend == "serial":
        from .serial_controls import SerialControls
        return SerialControls(cfg.port, cfg.baudrate, cfg.reset_wait_s)
    return NoControls()
