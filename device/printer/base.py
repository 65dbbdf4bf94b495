"""What every printer offers the spool: begin a receipt, send bytes, end it, say whether it is ready."""
from __future__ import annotations

import time

from ..errors import DeviceError

STALL_S = 5.0   # a printer that takes no byte for this long is "not taking data" (slow links: longer, see stall_s)
PAPER_OUT = "the printer is out of paper"   # the one fault that lights paper-out: the printer said so


class PrinterError(DeviceError, RuntimeError):
    """The printer is missing, off, out of paper or failed mid-receipt; the message says which."""


def not_taking_data(printer, seconds: float = STALL_S) -> PrinterError:
    return PrinterError(f"the printer is not taking data ({printer.describe()}): nothing accepted for "
                        f"{seconds:.0f} s (jammed, its cover open, or flow control holding it?)")


class Printer:
    name = "printer"
    keeps_state = True     # a real printer remembers a command it was cut off inside

    def __init__(self):
        self.first_byte_at: float | None = None   # monotonic time of the job's first byte
        self.last_byte_at: float | None = None
        self.sent = 0                             # bytes of this job the transport has surely taken
        self.tried = 0                            # bytes of this job handed over, perhaps taken (>= sent)
        self.on_progress = None                   # called with (sent, tried) as bytes leave (the spool records it)

    @classmethod
    def available(cls, cfg) -> tuple[bool, str]:
        """(can run on this machine, why not): the libraries the backend needs are installed.
        A printer that is merely unplugged is available: its jobs wait in the spool."""
        return True, ""

    def begin(self, job_id: str) -> None:
        self.job_id, self.first_byte_at, self.last_byte_at = job_id, None, None
        self.sent = self.tried = 0

    def _about_to(self, n: int) -> None:
        """Transports call this before handing n bytes over: from now on the printer may have
        some of them, whatever happens to this process (recovery: 'cut short' needs only that)."""
        self.tried = max(self.tried, self.sent + n)
        if self.on_progress:
            self.on_progress(self.sent, self.tried)

    def _advance(self, n: int) -> None:
        """Transports call this once n bytes are surely handed over, so a crash after the last
        byte of a receipt knows that all of it went out."""
        self.sent += n
        self.tried = max(self.tried, self.sent)
        if self.on_progress:
            self.on_progress(self.sent, self.tried)

    def send(self, data: bytes) -> None:
        if self.first_byte_at is None:
            self.first_byte_at = time.monotonic()
        self._write(data)
        self.last_byte_at = time.monotonic()

    def end(self) -> dict:
        """Finish the job; returns what was produced (paths for the simulator)."""
        return {}

    def status(self) -> tuple[bool, str]:
        """(ready, reason): online and with paper where the printer can tell."""
        return True, ""

    def present(self) -> bool | None:
        """Whether the printer's device node is there: a cheap look, no I/O, that the spool
        takes while it waits, so a printer plugged back in prints at once. None: can't tell."""
        return None

    def _write(self, data: bytes) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def describe(self) -> str:
        return self.name
