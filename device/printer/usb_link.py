"""A printer on USB, by vendor and product id: pyusb and libusb under python-escpos."""
from __future__ import annotations

from .escpos_link import EscposPrinter


class UsbPrinter(EscposPrinter):
    name = "usb"

    @classmethod
    def available(cls, cfg) -> tuple[bool, str]:
        try:
            import usb.backend.libusb1 as libusb1
        except ImportError:
            return False, "pyusb is not installed: pip install 'python-escpos[usb]'"
        if libusb1.get_backend() is None:
            return False, "libusb is missing: apt install libusb-1.0-0"
        return True, ""

    def _connect(self):
        from escpos.printer import Usb
        dev = Usb(self.cfg.usb_vendor, self.cfg.usb_product, profile=self.cfg.profile)
        dev.open()
        return dev

    def where(self) -> str:
        return f"usb {self.cfg.usb_vendor:04x}:{self.cfg.usb_product:04x}"
