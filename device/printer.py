"""Printers: a real ESC/POS printer through python-escpos, and a simulated twin.

    printer = open_printer(config.printer)
    printer.begin(job_id); printer.send(head_bytes); printer.send(body_bytes); printer.end()

The receipt's bytes come from device/receipt.py; a printer only moves them. Rasters go out in
chunks with a short pause, because cheap printers garble or drop data when their buffer
overflows. SimPrinter keeps each receipt's raw bytes (.bin) and a PNG decoded from those very
bytes in a folder, and echoes the text on the terminal.
"""
from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from .escpos_decode import decode, render

log = logging.getLogger(__name__)
STALL_S = 5.0   # a printer that takes no byte for this long is "not taking data"


class PrinterError(RuntimeError):
    """The printer is missing, off, out of paper or failed mid-receipt; the message says which."""


def not_taking_data(printer) -> PrinterError:
    return PrinterError(f"the printer is not taking data ({printer.describe()}): nothing accepted for "
                        f"{STALL_S:.0f} s, out of paper or jammed?")


class Printer:
    name = "printer"
    keeps_state = True     # a real printer remembers a command it was cut off inside

    def __init__(self):
        self.first_byte_at: float | None = None   # monotonic time of the job's first byte
        self.last_byte_at: float | None = None
        self.sent = 0                             # bytes of this job the transport has taken
        self.on_progress = None                   # called with `sent` as bytes leave (the spool records it)

    def begin(self, job_id: str) -> None:
        self.job_id, self.first_byte_at, self.last_byte_at, self.sent = job_id, None, None, 0

    def _advance(self, n: int) -> None:
        """Transports call this as bytes leave, so a crash knows how far a receipt got."""
        self.sent += n
        if self.on_progress:
            self.on_progress(self.sent)

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

    def _write(self, data: bytes) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def describe(self) -> str:
        return self.name


class EscposPrinter(Printer):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.name = cfg.backend
        self._dev = None

    def _open(self):
        from escpos import printer as ep
        c = self.cfg
        try:
            if c.backend == "serial":
                dev = ep.Serial(c.device, baudrate=c.baudrate, dsrdtr=c.flow_control == "dsrdtr", profile=c.profile)
                dev.open()
                dev.device.write_timeout = STALL_S   # a printer holding flow control must not hang us
                if c.flow_control == "rtscts":
                    dev.device.rtscts = True
            elif c.backend == "usb":
                dev = ep.Usb(c.usb_vendor, c.usb_product, profile=c.profile)
                dev.open()
            elif c.backend == "network":
                dev = ep.Network(c.host, c.port, profile=c.profile)
                dev.open()
            else:
                dev = ep.File(c.device, profile=c.profile)
                dev.open()
        except Exception as e:  # python-escpos raises its own errors, OSError or usb errors
            raise PrinterError(f"cannot open the {c.backend} printer ({self.describe()}): {e}. "
                               "Is it plugged in and switched on?") from None
        return dev

    def _write(self, data: bytes) -> None:
        if self._dev is None:
            self._dev = self._open()
        step = max(1, self.cfg.chunk_size)
        try:
            for i in range(0, len(data), step):
                self._dev._raw(data[i:i + step])
                self._advance(len(data[i:i + step]))
                if self.cfg.chunk_pause_s and i + step < len(data):
                    time.sleep(self.cfg.chunk_pause_s)
        except Exception as e:
            self.close()
            if "timeout" in type(e).__name__.lower() or "timeout" in str(e).lower():
                raise not_taking_data(self) from None
            raise PrinterError(f"the printer ({self.describe()}) failed mid-receipt: {e}") from None

    def end(self) -> dict:
        """A receipt is printed when the printer has taken its bytes, not when they sit in the
        kernel's buffer: wait for the serial output queue to drain, at most STALL_S."""
        inner = getattr(self._dev, "_device", None)
        if self.cfg.backend == "serial" and inner:
            deadline = time.monotonic() + STALL_S
            try:
                while inner.out_waiting > 0:
                    if time.monotonic() > deadline:
                        self.close()
                        raise PrinterError(f"the printer is not taking data ({self.describe()}): "
                                           f"{STALL_S:.0f} s and the receipt is still in the buffer")
                    time.sleep(0.02)
            except OSError as e:
                self.close()
                raise PrinterError(f"the printer ({self.describe()}) failed mid-receipt: {e}") from None
        return {}

    def status(self) -> tuple[bool, str]:
        if self.cfg.backend == "file":
            ok = Path(self.cfg.device).exists()
            return ok, "" if ok else f"{self.cfg.device} does not exist: is the printer plugged in?"
        try:
            if self._dev is None:
                self._dev = self._open()
            if not self.cfg.query_status:   # a write-only printer: being able to open it is all we know
                return True, ""
            if not self._dev.is_online():
                return False, "the printer does not answer (off, or a cover open?)"
            if self._dev.paper_status() == 0:
                return False, "the printer is out of paper"
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
        c = self.cfg
        where = {"serial": f"{c.device} @ {c.baudrate} baud", "usb": f"usb {c.usb_vendor:04x}:{c.usb_product:04x}",
                 "network": f"{c.host}:{c.port}", "file": c.device}[c.backend]
        return f"{c.backend} {where}, profile {c.profile}"


class SimPrinter(Printer):
    """The simulated printer. Like a MockPin, it doubles as a test tool: set `offline`,
    `paper_out` or `stalled`, or `fail_in_bytes` to break the connection that many bytes into
    the next receipt, and it fails the way a real printer does (status says why; sends raise)."""

    name = "sim"
    keeps_state = False    # a crash wipes the simulator: nothing half-printed to repair

    def __init__(self, out_dir: str | Path, width_dots: int = 384, echo: bool = True):
        super().__init__()
        self.out_dir, self.width, self.echo = Path(out_dir), width_dots, echo
        self.buffer = bytearray()
        self.receipts: list[Path] = []
        self.offline = False
        self.paper_out = False
        self.stalled = False          # takes no bytes: sends fail as a real write timeout would
        self.fail_in_bytes: int | None = None

    def begin(self, job_id: str) -> None:
        super().begin(job_id)
        self.buffer = bytearray()

    def status(self) -> tuple[bool, str]:
        if self.offline:
            return False, "the printer does not answer (off, or a cover open?)"
        if self.paper_out:
            return False, "the printer is out of paper"
        return True, ""

    def _write(self, data: bytes) -> None:
        ok, why = self.status()
        if not ok:
            raise PrinterError(f"the printer ({self.describe()}) failed mid-receipt: {why}")
        if self.stalled:
            raise not_taking_data(self)
        if self.fail_in_bytes is not None and len(data) >= self.fail_in_bytes:
            self.buffer += data[:self.fail_in_bytes]
            self._advance(self.fail_in_bytes)
            self.fail_in_bytes = None
            self.offline = True
            raise PrinterError(f"the printer ({self.describe()}) failed mid-receipt: cable pulled")
        if self.fail_in_bytes is not None:
            self.fail_in_bytes -= len(data)
        self.buffer += data
        self._advance(len(data))

    def end(self) -> dict:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        data = bytes(self.buffer)
        bin_path, png_path = self.out_dir / f"{self.job_id}.bin", self.out_dir / f"{self.job_id}.png"
        bin_path.write_bytes(data)
        doc = decode(data)
        render(doc, self.width).save(png_path)
        self.receipts.append(png_path)
        if self.echo:
            print(doc.text.rstrip() + f"\n[receipt: {png_path}]\n", file=sys.stderr, flush=True)
        return {"bin": str(bin_path), "png": str(png_path)}

    def describe(self) -> str:
        return f"sim -> {self.out_dir}"


def open_printer(cfg) -> Printer:
    from .config import paper_dots
    if cfg.backend == "sim":
        return SimPrinter(cfg.out_dir, paper_dots(cfg.paper))
    return EscposPrinter(cfg)
