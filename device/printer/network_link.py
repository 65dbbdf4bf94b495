"""A printer on the network (raw TCP, port 9100)."""
from __future__ import annotations

from .escpos_link import EscposPrinter


class NetworkPrinter(EscposPrinter):
    name = "network"

    def _connect(self):
        from escpos.printer import Network
        dev = Network(self.cfg.host, self.cfg.port, profile=self.cfg.profile)
        dev.open()
        return dev

    def where(self) -> str:
        return f"{self.cfg.host}:{self.cfg.port}"
