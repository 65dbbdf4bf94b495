"""Dev mode's controls: the terminal's keyboard stands in for the button and the knob."""
from __future__ import annotations

import logging
import sys
import threading

from .base import ControlEvent, Controls

log = logging.getLogger(__name__)


class KeyboardControls(Controls):
    """Dev mode: Enter = press, r + Enter = long press (reprint), 0-9 + Enter = knob, q = quit.
    The end of input also quits."""

    name = "keyboard"

    def __init__(self, stream=None):
        super().__init__()
        self.stream = stream or sys.stdin
        threading.Thread(target=self._read, name="keyboard", daemon=True).start()

    def _read(self) -> None:
        try:
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
        except (OSError, ValueError) as e:   # no terminal to read (a service, a closed stdin)
            log.warning("keyboard controls: cannot read the terminal (%s); stopping. Under a service, "
                        "set controls.backend to serial or none", e)
        self.events.put(ControlEvent("quit"))

    def _show_status(self, status: str) -> None:
        log.info("status light: %s", status)
