"""A printer as a device file (/dev/usb/lp0: the kernel's usblp driver)."""
from __future__ import annotations

from pathlib import Path

from .escpos_link import EscposPrinter


class FilePrinter(EscposPrinter):
    name = "file"

    def _connect(self):
        from escpos.printer import File
        dev = File(self.cfg.device, profile=self.cfg.profile)
        dev.open()
        return dev

    def status(self) -> tuple[bool, str]:
        ok = self.present()
        return ok, "" if ok else f"{self.cfg.device} does not exist: is the printer plugged in?"

    def present(self) -> bool:
        return Path(self.cfg.device).exists()

    def where(self) -> str:
        return self.cfg.device
