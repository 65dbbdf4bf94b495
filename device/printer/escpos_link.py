"""What the real printers share: python-escpos moves the bytes, in chunks, and says why it failed.

The receipt's bytes come from device/receipt.py; a printer only moves them. Rasters go out in
chunks with a short pause, because cheap printers garble or drop data when their buffer
overflows. Each transport (serial_link, usb_link, network_link, file_link) only says how to
connect and where it is.
"""
from __future__ import annotations

import logging
import time

from .base import PAPER_OUT, Printer, PrinterError, not_taking_data

log = logging.getLogger(__name__)


class EscposPrinter(Printer):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self._dev = None

    def _connect(self):
        """An opened python-escpos printer object."""
        raise NotImplementedError

    def where(self) -> str:
        raise NotImplementedError

    def _open(self):
        try:
            return self._connect()
        except Exception as e:  # python-escpos raises its own errors, OSError or usb errors
            raise PrinterError(f"cannot open the {self.name} printer ({self.describe()}): {e}. "
                               "Is it plugged in and switched on?") from None

    def _write(self, data: bytes) -> None:
        if self._dev is None:
            self._dev = self._open()
        step = max(1, self.cfg.chunk_size)
        try:
            for i in range(0, len(data), step):
                chunk = data[i:i + step]
                self._about_to(len(chunk))
                self._put(chunk)
                if self.cfg.chunk_pause_s and i + step < len(data):
                    time.sleep(self.cfg.chunk_pause_s)
        except PrinterError:
            self.close()
            raise
        except Exception as e:
            self.close()
            if "timeout" in type(e).__name__.lower() or "timeout" in str(e).lower():
                raise not_taking_data(self) from None
            raise PrinterError(f"the printer ({self.describe()}) failed mid-receipt: {e}") from None

    def _put(self, chunk: bytes) -> None:
        """Hand one chunk to python-escpos and count it (serial_link counts each write as it
        returns instead: a write timeout there can come after part of a chunk went out)."""
        self._dev._raw(chunk)
        self._advance(len(chunk))

    def status(self) -> tuple[bool, str]:
        try:
            if self._dev is None:
                self._dev = self._open()
            if not self.cfg.query_status:   # a write-only printer: being able to open it is all we know
                return True, ""
            if not self._dev.is_online():
                return False, "the printer does not answer (off, or a cover open?)"
            if self._dev.paper_status() == 0:
                return False, PAPER_OUT
        except PrinterError as e:
            return False, str(e)
        except Exception as e:
            self.close()
            return False, f"printer status query failed: {e}"
        return True, ""

    def close(self) -> None:
        """Close the connection whatever state it is in. python-escpos flushes before closing,
        and on an unplugged device that flush raises before anything is closed, which leaked
        the device and pyserial's pipes on every unplug: close the transport underneath too."""
        dev, self._dev = self._dev, None
        if dev is None:
            return
        try:
            dev.close()
        except Exception as e:
            log.debug("printer close: %s; closing the transport directly", e)
        inner = getattr(dev, "_device", None)   # not .device: that property reopens the connection
        if inner and getattr(inner, "is_open", False):
            try:
                inner.close()
            except Exception as e:
                log.debug("printer transport close: %s", e)

    def describe(self) -> str:
        return f"{self.name} {self.where()}, profile {self.cfg.profile}"
