"""A printer on a serial port (USB-serial adapters, TTL printers): pyserial under python-escpos."""
from __future__ import annotations

import time

from .base import STALL_S, PrinterError
from .escpos_link import EscposPrinter


STATUS_READ_S = 0.08   # how long a status query waits for the printer's answer (two a job: <= 0.2 s)


class SerialPrinter(EscposPrinter):
    name = "serial"

    def _connect(self):
        from escpos.printer import Serial
        c = self.cfg
        dev = Serial(c.device, baudrate=c.baudrate, dsrdtr=c.flow_control == "dsrdtr", profile=c.profile)
        dev.open()
        dev.device.write_timeout = STALL_S   # a printer holding flow control must not hang us
        # a status answer is one byte, at once: read(16) must not wait python-escpos's whole second
        dev.device.timeout, dev.device.inter_byte_timeout = STATUS_READ_S, 0.02
        if c.flow_control == "rtscts":
            dev.device.rtscts = True
        return dev

    def end(self) -> dict:
        """A receipt is printed when the printer has taken its bytes, not when they sit in the
        kernel's buffer: wait for the serial output queue to drain, at most STALL_S."""
        inner = getattr(self._dev, "_device", None)
        if inner:
            deadline = time.monotonic() + STALL_S
            try:
                while inner.out_waiting > 0:
                    if time.monotonic() > deadline:
                        # what is still queued never reached the printer: drop it and count only what
                        # left, so the repair finishes the command the printer is really inside
                        self.sent -= inner.out_waiting
                        inner.reset_output_buffer()
                        self.close()
                        raise PrinterError(f"the printer is not taking data ({self.describe()}): "
                                           f"{STALL_S:.0f} s and the receipt is still in the buffer")
                    time.sleep(0.02)
            except OSError as e:
                self.close()
                raise PrinterError(f"the printer ({self.describe()}) failed mid-receipt: {e}") from None
        return {}

    def where(self) -> str:
        return f"{self.cfg.device} @ {self.cfg.baudrate} baud"
