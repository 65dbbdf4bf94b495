"""A printer on a serial port (USB-serial adapters, TTL printers): pyserial under python-escpos."""
from __future__ import annotations

import os
import select
import time

from .base import STALL_S, PrinterError, not_taking_data
from .escpos_link import EscposPrinter


KERNEL_BUFFER = 4096   # bytes a serial port's output queue holds before write() blocks
STATUS_READ_S = 0.08   # how long a status query waits for the printer's answer (two a job: <= 0.2 s)


class SerialPrinter(EscposPrinter):
    name = "serial"

    def _connect(self):
        from escpos.printer import Serial
        c = self.cfg
        dev = Serial(c.device, baudrate=c.baudrate, dsrdtr=c.flow_control == "dsrdtr", profile=c.profile)
        dev.open()
        dev.device.write_timeout = self.stall_s   # _put writes itself; this bounds pyserial's own writes
        # a status answer is one byte, at once: read(16) must not wait python-escpos's whole second
        dev.device.timeout, dev.device.inter_byte_timeout = STATUS_READ_S, 0.02
        if c.flow_control == "rtscts":
            dev.device.rtscts = True
        return dev

    @property
    def stall_s(self) -> float:
        """Time without progress that means "not taking data": STALL_S, or longer on a slow
        link, where a chunk and the kernel's buffer take longer than that to leave at the
        configured baud rate (10 bits a byte). A slow printer keeps taking bytes, so it
        never trips this, however long its receipt takes."""
        return max(STALL_S, 2 * (self.cfg.chunk_size + KERNEL_BUFFER) * 10 / self.cfg.baudrate)

    def _put(self, chunk: bytes) -> None:
        """Write to the port ourselves, counting what each write() says the kernel took
        (pyserial's write raises its timeout without saying how much went out). The clock
        restarts at every byte taken: only a printer that takes nothing is stalled."""
        port = self._dev.device
        rest = memoryview(chunk)
        deadline = time.monotonic() + self.stall_s
        while rest:
            if not select.select([], [port.fd], [], max(0.0, deadline - time.monotonic()))[1]:
                raise not_taking_data(self, self.stall_s)   # EscposPrinter._write closes the port
            try:
                n = os.write(port.fd, rest)
            except BlockingIOError:
                continue
            self._advance(n)
            rest = rest[n:]
            deadline = time.monotonic() + self.stall_s

    def end(self) -> dict:
        """A receipt is printed when the port has sent its bytes, not when they sit in its
        output queue: wait until the queue is empty, for as long as it keeps shrinking. A queue
        that stops shrinking is a stall: the receipt did not print (the spool repairs it)."""
        inner = getattr(self._dev, "_device", None)
        if inner:
            try:
                left, deadline = inner.out_waiting, time.monotonic() + self.stall_s
                while left > 0:
                    if time.monotonic() > deadline:
                        inner.reset_output_buffer()   # dropped: the reprint sends them again
                        self.close()
                        raise PrinterError(f"the printer is not taking data ({self.describe()}): "
                                           f"{self.stall_s:.0f} s and the receipt is still in the buffer")
                    time.sleep(0.02)
                    now = inner.out_waiting
                    if now < left:
                        deadline = time.monotonic() + self.stall_s
                    left = now
            except OSError as e:
                self.close()
                raise PrinterError(f"the printer ({self.describe()}) failed mid-receipt: {e}") from None
        return {}

    def answers(self) -> bool:
        """Whether anything answers a real-time status query (DLE EOT 1) on this port: a port
        that opens is not yet a printer (a PC's built-in UART opens with nothing behind it)."""
        from escpos.constants import RT_STATUS_ONLINE
        try:
            if self._dev is None:
                self._dev = self._open()
            return bool(self._dev.query_status(RT_STATUS_ONLINE))
        except Exception:
            self.close()
            return False

    def present(self) -> bool:
        return os.path.exists(self.cfg.device)

    def where(self) -> str:
        return f"{self.cfg.device} @ {self.cfg.baudrate} baud"
