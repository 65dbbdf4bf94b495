"""Printers: real ESC/POS printers through python-escpos, and the simulated twin.

    printer = open_printer(config.printer)         # or open_printer(config.printer, backend="sim")
    printer.begin(job_id); printer.send(head_bytes); printer.send(body_bytes); printer.end()

The backend is chosen by argument, then printer.backend, then $NARRATOR_PRINTER, then "sim"
(device/backends.py). One module per transport (serial_link, usb_link, network_link,
file_link), the simulator in sim.py, and preview.py, which reads ESC/POS bytes back into text
and a picture (the simulator's PNGs, archived previews, and the tests).
"""
from __future__ import annotations

from ..backends import resolve_backend
from .base import STALL_S, Printer, PrinterError, not_taking_data
from .escpos_link import EscposPrinter
from .file_link import FilePrinter
from .network_link import NetworkPrinter
from .serial_link import SerialPrinter
from .sim import SimPrinter
from .usb_link import UsbPrinter

BACKENDS = {"serial": SerialPrinter, "usb": UsbPrinter, "network": NetworkPrinter, "file": FilePrinter,
            "sim": SimPrinter}
__all__ = ["BACKENDS", "STALL_S", "EscposPrinter", "FilePrinter", "NetworkPrinter", "Printer", "PrinterError",
           "SerialPrinter", "SimPrinter", "UsbPrinter", "not_taking_data", "open_printer"]


def open_printer(cfg, backend: str | None = None) -> Printer:
    from ..receipt import Paper
    name = resolve_backend("printer", cfg, backend, BACKENDS, default="sim", fallback="sim")
    if name == "sim":
        return SimPrinter(cfg.out_dir, Paper.from_config(cfg).dots)
    return BACKENDS[name](cfg)
