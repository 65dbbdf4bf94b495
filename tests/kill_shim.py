"""narrator with a SIGKILL at one chosen moment, for the print soak (tests/test_print_soak.py).

    python tests/kill_shim.py MOMENT ONCE_FILE run --config CFG

Patches the spool or printer in this process only (the product has no such hooks), then runs
the real entry point. The kill comes once: ONCE_FILE is created just before it.
  mid_band                  a chunk inside the photo went to the port and was counted (past 3,000 B)
  after_write_before_count  a chunk went to the port, its count not yet recorded (past 3,000 B)
  before_mark_printed       every byte went out and end() returned; 'printed' not yet recorded
  mid_repair                half of a repair's NULs went out
  mid_reprint               a cut-short job is being printed again (past 3,000 B)
"""
import os
import signal
import sys

MOMENT, ONCE = sys.argv[1], sys.argv[2]
sys.argv = ["narrator"] + sys.argv[3:]

import device.printer.base as base  # noqa: E402
import device.spool as spool  # noqa: E402


def die() -> None:
    if not os.path.exists(ONCE):
        open(ONCE, "w").close()
        os.kill(os.getpid(), signal.SIGKILL)


if MOMENT == "mid_band":
    advance = base.Printer._advance

    def _advance(self, n):
        advance(self, n)
        if self.sent > 3000 and self.job_id != "repair":
            die()
    base.Printer._advance = _advance
elif MOMENT == "after_write_before_count":
    advance = base.Printer._advance

    def _advance(self, n):
        if self.sent + n > 3000:
            die()
        return advance(self, n)
    base.Printer._advance = _advance
elif MOMENT == "before_mark_printed":
    mark = spool.Spool._mark

    def _mark(self, job, status, **fields):
        if str(status) == "printed":
            die()
        return mark(self, job, status, **fields)
    spool.Spool._mark = _mark
elif MOMENT == "mid_repair":
    send = base.Printer.send

    def _send(self, data):
        if len(data) > 100 and not data.strip(b"\0\x1b@"):
            send(self, data[:len(data) // 2])
            die()
        return send(self, data)
    base.Printer.send = _send
elif MOMENT == "mid_reprint":
    print_bytes, advance = spool.Spool.print_bytes, base.Printer._advance
    state = {"again": False}

    def _print_bytes(self, label, data):
        state["again"] = label in self.again
        try:
            return print_bytes(self, label, data)
        finally:
            state["again"] = False

    def _advance(self, n):
        if state["again"] and self.sent + n > 3000:
            die()
        return advance(self, n)
    spool.Spool.print_bytes, base.Printer._advance = _print_bytes, _advance

from device.cli import main  # noqa: E402

sys.exit(main())
