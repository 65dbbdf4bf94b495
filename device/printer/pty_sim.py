"""A thermal printer at the far end of a pty, for the soak, the drills and the tests.

The real SerialPrinter (pyserial under python-escpos) writes to it as to /dev/ttyUSB0. Unlike
SimPrinter it is not in the daemon's process, so it outlives a kill -9, and like a real printer
it remembers the command it is inside: a receipt sent while it still waits for the rest of a
cut-off raster turns into pixels and garbage. It can read slowly, stall, be unplugged and
plugged back (its state kept, as when a USB-serial cable is pulled), and it answers status
queries (DLE EOT 1 and 4) as online or out of paper.

    printer = PtyPrinter(tmp / "ttyPRINTER")      # point [printer] device at printer.link
    ...
    printer.garbage                  # what it could not make sense of: must stay empty
    printer.printed_whole(receipt)   # how often it took these bytes whole, starting between commands
"""
from __future__ import annotations

import bisect
import os
import select
import threading
import time
from pathlib import Path

from ..controls.sim import PtyCable
from .preview import DecodeError, command_length

QUERY = b"\x10\x04"                 # DLE EOT n: a real-time status query
ONLINE, PAPER_PRESENT, NO_PAPER, OFFLINE = 0x12, 0x12, 0x72, 0x1A   # what python-escpos reads back


class EscposState:
    """What a printer remembers between bytes: the command it is inside (`expecting` more
    bytes to finish it), every multi-byte command it took (to tell where commands began), and
    what it could not parse. NUL is ignored between commands, as printers do."""

    def __init__(self):
        self.taken = 0                     # bytes taken so far
        self._pending = bytearray()        # the start of a command not yet complete
        self._spans: list[tuple[int, int]] = []   # (start, end) of each command longer than a byte
        self.garbage: list[str] = []

    @property
    def expecting(self) -> int:
        """Bytes still wanted by the command in progress; 0 between commands (-1: header incomplete)."""
        if not self._pending:
            return 0
        need = self._length()
        return -1 if need is None else need - len(self._pending)

    def _length(self) -> int | None:
        """The length of the command in _pending, or None until its header is complete."""
        p = self._pending
        if p[0] in (0x1B, 0x1D):
            if len(p) < 2 or (p[:2] == b"\x1dv" and len(p) < 8) or (p[:2] == b"\x1dV" and len(p) < 3):
                return None
        return command_length(bytes(p[:8]), 0)

    def feed(self, data: bytes) -> None:
        for b in data:   # byte by byte, as the printer's firmware reads them
            start = self.taken
            self.taken += 1
            if not self._pending:
                if b == 0x00 or b == 0x0A or b >= 0x20:
                    continue                     # NUL, a line feed, a character: whole at once
                if b not in (0x1B, 0x1D):
                    self.garbage.append(f"control byte 0x{b:02x} at byte {start}")
                    continue
            self._pending.append(b)
            try:
                need = self._length()
            except DecodeError as e:
                self.garbage.append(f"{e} (at byte {self.taken - len(self._pending)})")
                self._pending.clear()
                continue
            if need is not None and len(self._pending) >= need:
                begin = self.taken - len(self._pending)
                self._spans.append((begin, self.taken))
                self._pending.clear()

    def between_commands(self, offset: int) -> bool:
        """Whether the printer was between commands when byte `offset` arrived."""
        k = bisect.bisect_right(self._spans, (offset, float("inf"))) - 1
        return k < 0 or not (self._spans[k][0] < offset < self._spans[k][1])


class PtyPrinter:
    """The printer: a thread reads the pty's far end into `roll` and an EscposState."""

    def __init__(self, link: Path, read_chunk: int = 4096):
        self.link = Path(link)
        self.state = EscposState()
        self.roll = bytearray()            # every byte it took, in order
        self.read_chunk = read_chunk
        self.bytes_per_s: float | None = None   # slow reading (None: as fast as it comes)
        self.stalled = False               # takes nothing (a jam, a cover open, flow control)
        self.paper = True                  # answers status queries: paper present
        self.queries = 0
        self.unplug_after: int | None = None    # bytes into the future before the cable is pulled
        self.cable: PtyCable | None = None
        self.plug()

    @property
    def garbage(self) -> list[str]:
        return self.state.garbage

    def plug(self) -> None:
        self.cable = PtyCable(self.link)
        self._unplugged = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(self.cable.master, self._unplugged), daemon=True)
        self._thread.start()

    def unplug(self) -> None:
        """Pull the cable: the host's writes fail; what the printer took, and the command it
        is inside, stay."""
        if self.cable:
            self._unplugged.set()
            self._thread.join()
            self.cable.close()
            self.cable = None

    def _read(self, fd: int, unplugged: threading.Event) -> None:
        while not unplugged.is_set():
            if self.stalled or not self.paper:     # out of paper: the buffer fills and it stops
                time.sleep(0.02)
                if not select.select([fd], [], [], 0)[0]:
                    continue
                self._answer_queries(fd)
                continue
            if not select.select([fd], [], [], 0.05)[0]:
                continue
            n = self.read_chunk if self.bytes_per_s is None else max(1, int(self.bytes_per_s * 0.01))
            try:
                data = os.read(fd, n)
            except OSError:
                return
            if self._is_query(data):
                self._answer(fd, data)
                continue
            if self.unplug_after is not None and len(data) >= self.unplug_after:
                data, self.unplug_after = data[:self.unplug_after], None
                self._take(data)
                threading.Thread(target=self.unplug, daemon=True).start()
                return
            if self.unplug_after is not None:
                self.unplug_after -= len(data)
            self._take(data)
            if self.bytes_per_s is not None:
                time.sleep(0.01)

    def _answer_queries(self, fd: int) -> None:
        """A stalled printer still answers status queries (they are real-time), and nothing else."""
        try:
            data = os.read(fd, 3)
        except OSError:
            return
        if self._is_query(data):
            self._answer(fd, data)
        else:
            self._take(data)   # it was not a query: take it now rather than lose it

    @staticmethod
    def _is_query(data: bytes) -> bool:
        return len(data) == 3 and data[:2] == QUERY

    def _answer(self, fd: int, query: bytes) -> None:
        self.queries += 1
        answer = (PAPER_PRESENT if self.paper else NO_PAPER) if query[2] == 4 else ONLINE
        try:
            os.write(fd, bytes([answer]))
        except OSError:
            pass

    def _take(self, data: bytes) -> None:
        self.roll += data
        self.state.feed(data)

    def printed_whole(self, receipt: bytes) -> int:
        """How many times these bytes arrived whole, starting where the printer was between
        commands: a receipt that arrived while it was inside another command does not count."""
        count, at = 0, self.roll.find(receipt)
        while at >= 0:
            count += self.state.between_commands(at)
            at = self.roll.find(receipt, at + 1)
        return count

    def close(self) -> None:
        self.unplug()
        if self.link.is_symlink():
            self.link.unlink()
