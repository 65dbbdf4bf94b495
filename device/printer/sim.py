"""The simulated printer: each receipt's raw bytes (.bin) and a PNG decoded from those very
bytes go to a folder, and its text is echoed on the terminal."""
from __future__ import annotations

import sys
from pathlib import Path

from .base import PAPER_OUT, Printer, PrinterError, not_taking_data
from .preview import decode, preview_png


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
        self.roll = bytearray()       # every byte it ever took, receipts and repairs: the paper roll
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
            return False, PAPER_OUT
        return True, ""

    def present(self) -> bool:
        return not self.offline

    def _write(self, data: bytes) -> None:
        ok, why = self.status()
        if not ok:
            raise PrinterError(f"the printer ({self.describe()}) failed mid-receipt: {why}")
        if self.stalled:
            raise not_taking_data(self)
        self._about_to(len(data))
        if self.fail_in_bytes is not None and len(data) >= self.fail_in_bytes:
            self.buffer += data[:self.fail_in_bytes]
            self.roll += data[:self.fail_in_bytes]
            self._advance(self.fail_in_bytes)
            self.fail_in_bytes = None
            self.offline = True
            raise PrinterError(f"the printer ({self.describe()}) failed mid-receipt: cable pulled")
        if self.fail_in_bytes is not None:
            self.fail_in_bytes -= len(data)
        self.buffer += data
        self.roll += data
        self._advance(len(data))

    def end(self) -> dict:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        data = bytes(self.buffer)
        bin_path, png_path = self.out_dir / f"{self.job_id}.bin", self.out_dir / f"{self.job_id}.png"
        bin_path.write_bytes(data)
        png_path.write_bytes(preview_png(data, self.width))   # rendered from the bytes it received
        self.receipts.append(png_path)
        if self.echo:
            print(decode(data).text.rstrip() + f"\n[receipt: {png_path}]\n", file=sys.stderr, flush=True)
        return {"bin": str(bin_path), "png": str(png_path)}

    def describe(self) -> str:
        return f"sim -> {self.out_dir}"
