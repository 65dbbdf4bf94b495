"""The print path against a thermal printer's real speed, through crashes and restarts.

The daemon runs as a subprocess with the real SerialPrinter (python-escpos over pyserial) on a
pty; at the far end device/printer/pty_sim.PtyPrinter reads at a hobbyist TTL printer's speed
and remembers the ESC/POS command it is inside, as a real printer does, so a receipt sent
while it still waits for the rest of a raster band would be garbage there. kill -9 comes at
chosen moments (tests/kill_shim.py) and at random ones. Afterwards every job is accounted for:
printed, whole exactly once, the printer never confused, nothing left spooled.
"""
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from device.printer.preview import decode
from device.printer.pty_sim import PtyPrinter
from device.recovery import read_sent

ROOT = Path(__file__).resolve().parent.parent
ENTRY = [sys.executable, "-c", "import sys; from device.cli import main; sys.exit(main())"]
SHIM = [sys.executable, str(ROOT / "tests" / "kill_shim.py")]
AGAIN = b"(printed again"


class Narrator:
    """`narrator run` as a subprocess: presses on stdin, its log in a file."""

    def __init__(self, cfg: Path, log: Path, shim: tuple[str, Path] | None = None):
        self.log = log
        self.mark = log.stat().st_size if log.exists() else 0
        cmd = (SHIM + [shim[0], str(shim[1])] if shim else ENTRY) + ["run", "--config", str(cfg)]
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=open(log, "ab"), cwd=ROOT)

    def text(self) -> str:
        return self.log.read_bytes()[self.mark:].decode("utf-8", "replace")

    def wait_for(self, needle: str, timeout: float = 60) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.text():
                return True
            if self.p.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def press(self) -> None:
        try:
            self.p.stdin.write(b"\n")
            self.p.stdin.flush()
        except OSError:   # it died already (a chosen kill came early)
            pass

    def kill9(self) -> None:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGKILL)
        self.p.wait(10)

    def quit(self) -> int:
        try:
            self.p.stdin.write(b"q\n")
            self.p.stdin.flush()
        except OSError:
            pass
        try:
            return self.p.wait(120)
        finally:
            if self.p.poll() is None:
                self.p.kill()


def write_config(tmp: Path, printer: PtyPrinter, checkpoint: Path) -> Path:
    cfg = tmp / "narrator.toml"
    cfg.write_text(f'archive_dir = "{tmp / "archive"}"\n'
                   f'[printer]\nbackend = "serial"\ndevice = "{printer.link}"\nbaudrate = 115200\n'
                   'chunk_size = 256\nchunk_pause_s = 0.0\n'
                   f'[[voices]]\nmodel = "{checkpoint}"\ntemperatures = [0.5]\nlength = 120\ncaptioner = "scene"\n')
    return cfg


def records(archive: Path) -> dict[str, dict]:
    out = {}
    for path in sorted(archive.glob("*/job.json")):
        try:
            out[path.parent.name] = json.loads(path.read_text())
        except ValueError:
            out[path.parent.name] = {}
    return out


def settle(archive: Path, printer: PtyPrinter, timeout: float = 240) -> bool:
    """Wait until no job waits for paper and the printer has been quiet for 2 s."""
    deadline = time.monotonic() + timeout
    taken, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        busy = [j for j, r in records(archive).items() if r.get("status") not in ("printed", "failed", "expired")]
        if printer.state.taken != taken:
            taken, quiet_since = printer.state.taken, time.monotonic()
        if not busy and time.monotonic() - quiet_since > 2:
            return True
        time.sleep(0.1)
    return False


def account(archive: Path, printer: PtyPrinter, kills: int = 0) -> dict[str, int]:
    """Every job printed whole exactly once, after at most one cut copy a kill (each cut copy
    repaired: the printer never met a byte it could not parse); returns how many copies of
    each began."""
    roll = bytes(printer.roll)
    assert printer.garbage == [], printer.garbage[:5]          # never inside a command it did not expect
    decode(roll)                                                 # the whole capture parses
    begun = {}
    for job, record in records(archive).items():
        if not (archive / job / "receipt.bin").exists():   # killed before its photo was kept: nothing to print
            assert record.get("status") == "failed" and "before its photo" in record.get("error", ""), (job, record)
            continue
        receipt = (archive / job / "receipt.bin").read_bytes()
        assert record.get("status") == "printed", (job, record.get("status"), record.get("error"))
        assert printer.printed_whole(receipt) == 1, (job, printer.printed_whole(receipt))
        begun[job] = roll.count(receipt[:600])
    assert sum(begun.values()) - len(begun) <= kills, begun       # every extra copy began before a kill
    assert not list(archive.glob("*/sent")) and not (archive / ".repair").exists()
    return begun


@pytest.fixture
def printer(tmp_path):
    p = PtyPrinter(tmp_path / "ttyPRINTER")
    yield p
    p.close()


@pytest.mark.parametrize("rate", [1000, 4000])
def test_a_slow_printer_prints_every_receipt_whole_once(tmp_path, tiny_checkpoint, printer, rate):
    """A printer at 1,000 or 4,000 bytes/s: slower than any fixed timeout would allow for a
    whole receipt, yet it keeps taking bytes, so nothing is 'not taking data', nothing is cut
    or printed twice. Two presses: the second waits for the first to finish printing."""
    printer.bytes_per_s = rate
    cfg = write_config(tmp_path, printer, tiny_checkpoint)
    n = Narrator(cfg, tmp_path / "log")
    assert n.wait_for("ready:"), n.text()[-2000:]
    for _ in range(2):
        n.press()
        time.sleep(0.3)
    assert settle(tmp_path / "archive", printer), n.text()[-2000:]
    assert n.quit() == 0
    assert "not taking data" not in n.text() and "cut short" not in n.text()
    begun = account(tmp_path / "archive", printer)
    assert len(begun) == 2 and set(begun.values()) == {1} and AGAIN not in bytes(printer.roll)


def test_soak_kill_9_at_chosen_and_random_moments_over_a_real_serial_port(tmp_path, tiny_checkpoint, printer):
    """The soak: a printer at 2,000 bytes/s; the daemon killed mid-band, between a write and
    its count, after the last byte before 'printed' is recorded, mid-repair, mid-reprint, at
    random points of a receipt and during start-up; then one last start. Every job ends
    printed, whole exactly once; every cut copy began before a kill and was repaired (the
    printer parsed every byte); the whole capture decodes; nothing stays spooled.""" 
    printer.bytes_per_s = 2000
    archive = tmp_path / "archive"
    cfg = write_config(tmp_path, printer, tiny_checkpoint)
    log = tmp_path / "log"
    rng = random.Random(28)
    moments = ["mid_band", "after_write_before_count", "random", "mid_band", "mid_repair", "before_mark_printed",
               "random", "mid_band", "mid_reprint", "startup", "random"]
    for i, moment in enumerate(moments):
        shim = (moment, tmp_path / f"once-{i}") if moment != "random" and moment != "startup" else None
        stale = {p: p.read_text() for p in archive.glob("*/sent")}   # left by the last kill
        n = Narrator(cfg, log, shim)
        if moment == "startup":
            time.sleep(rng.uniform(0.5, 3.0))
            n.kill9()
            continue
        if not n.wait_for("ready:"):   # a shim may kill it before it says ready (a repair starts at once)
            assert shim and shim[1].exists(), n.text()[-3000:]
            n.kill9()
            continue
        if moment not in ("mid_repair", "mid_reprint"):   # those come from the jobs already waiting
            n.press()
            if rng.random() < 0.5:
                time.sleep(rng.uniform(0.2, 1.0))
                n.press()
        if moment == "random":
            floor = rng.randrange(100, 9000)

            def past_floor():
                for sent in archive.glob("*/sent"):
                    try:
                        text = sent.read_text()
                        if text != stale.get(sent) and read_sent(text)[0] > floor:
                            return True
                    except (OSError, ValueError):
                        pass
                return False
            deadline = time.monotonic() + 30
            while not past_floor() and time.monotonic() < deadline:
                time.sleep(0.005)
            n.kill9()
        else:   # the shim kills at its moment, or the moment never came (then the next start goes on)
            deadline = time.monotonic() + 40
            while n.p.poll() is None and not shim[1].exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.2)
            n.kill9()
    fired = [m for i, m in enumerate(moments) if (tmp_path / f"once-{i}").exists()]
    assert set(moments) - {"random", "startup"} <= set(fired), fired
    n = Narrator(cfg, log)
    assert n.wait_for("ready:"), n.text()[-3000:]
    assert settle(archive, printer), n.text()[-3000:]
    assert n.quit() == 0
    begun = account(archive, printer, kills=len(moments))
    assert len(begun) >= 3 and max(begun.values()) >= 2       # some were cut and printed again
    notices = bytes(printer.roll).count(AGAIN)                 # before each reprint of a cut receipt
    assert sum(v > 1 for v in begun.values()) <= notices <= len(moments)
