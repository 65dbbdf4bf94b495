"""What every source of controls offers the daemon: events to poll, a status light, close()."""
from __future__ import annotations

import logging
import queue
from dataclasses import dataclass

log = logging.getLogger(__name__)
STATUSES = ("idle", "busy", "error", "paper-out")


@dataclass(frozen=True)
class ControlEvent:
    kind: str                 # press | long_press | knob | quit (signals never come this way)
    value: float | None = None


class Controls:
    name = "controls"

    def __init__(self):
        self.events: queue.Queue[ControlEvent] = queue.Queue()
        self.status = "idle"
        self.status_history: list[str] = []

    @classmethod
    def available(cls, cfg) -> tuple[bool, str]:
        """(can run on this machine, why not). A box that is merely unplugged is available:
        SerialControls waits for it."""
        return True, ""

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


class NoControls(Controls):
    """No button at all: jobs come from `narrator snap` or a script."""

    name = "none"
