"""Simulated controls, for tests, benchmarks and the soak.

ScriptedControls is the button and knob as method calls. SimBox is the controls box itself on
a pty behind a stable name (as udev's /dev/narrator-controls), speaking the firmware's protocol,
so the real SerialControls reads it; it can be unplugged and plugged back, and sent anything.
The firmware's own protocol code, compiled for this machine, is tested the same way in
tests/test_serial_controls.py through PtyCable.
"""
from __future__ import annotations

import os
import select
import threading
import tty
from pathlib import Path

from .base import ControlEvent, Controls
from .serial_box import PROTOCOL_VERSION


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


class PtyCable:
    """A serial cable made of a pty: `link` is the host's end (a symlink, as udev makes one),
    `master` the board's end. unplug() closes both ends, as pulling the USB cable would."""

    def __init__(self, link: Path):
        self.link = Path(link)
        self.master, self._slave = os.openpty()
        tty.setraw(self.master)
        tty.setraw(self._slave)
        if self.link.is_symlink():
            self.link.unlink()
        self.link.symlink_to(os.ttyname(self._slave))

    def close(self) -> None:
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass


class SimBox:
    """The controls box, simulated: says HELLO as the firmware does, swallows what the host sends,
    and sends whatever a test or the soak asks (press(), or raw bytes with send())."""

    HELLO = f"HELLO narrator-controls {PROTOCOL_VERSION} sim\n".encode()

    def __init__(self, link: Path):
        self.link = Path(link)
        self.plug()

    def plug(self) -> None:
        self.cable = PtyCable(self.link)
        self.send(self.HELLO)
        self._unplugged = threading.Event()
        self._thread = threading.Thread(target=self._answer, args=(self.cable.master, self._unplugged), daemon=True)
        self._thread.start()

    def _answer(self, fd: int, unplugged: threading.Event) -> None:
        buf = b""
        while not unplugged.is_set():
            # poll with a timeout: a thread blocked in read() would keep the pty alive after close
            if not select.select([fd], [], [], 0.05)[0]:
                continue
            try:
                data = os.read(fd, 256)
            except OSError:
                return
            if not data:
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if line == b"HELLO":
                    self.send(self.HELLO)

    def send(self, data: bytes) -> None:
        try:
            os.write(self.cable.master, data)
        except OSError:
            pass   # unplugged: the bytes go nowhere, as on a real cable

    def press(self) -> None:
        self.send(b"PRESS\n")

    def unplug(self) -> None:
        self._unplugged.set()
        self._thread.join()
        self.cable.close()
