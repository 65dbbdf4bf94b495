"""Soak test with fault injection: many presses through the real daemon while the camera,
the serial line, the printer, the captioner, the disk and the clock fail at random.

    narrator soak --presses 1000 [--model CKPT] [--seed 1]      # by hand, before a show
    (tests/test_soak.py runs ~100 presses in CI)

Presses arrive as PRESS lines from a fake controls box on a real pty, read by SerialControls;
the box also sends garbage and is unplugged and plugged back. The camera drops frames, the
captioner throws, the printer goes offline, runs out of paper, stalls or loses its cable
mid-receipt, the disk fills up, the wall clock steps back an hour, and a second narrator tries
to open the same archive. At the end the printer comes back, the spool drains, and every press
must be accounted for: printed (once), failed with a reason, or lost on an unplugged cable
(which no host can see). Every archive file must read back; memory and file handles must stay
flat.
"""
from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from models.captioners import Captioner, ImageError, load_image

from .archive import Archive
from .camera import SimCamera
from .config import load_config
from .daemon import Daemon
from .job import FRAME, RECEIPT, Status
from .printer.preview import decode
from .voices import Voice
from .printer import SimPrinter
from .controls import SerialControls, SimBox


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class FaultyCaptioner(Captioner):
    name = "faulty"

    def __init__(self, inner: Captioner, rng: random.Random, p_fail: float, faults: Counter):
        self.inner, self.rng, self.p_fail, self.faults = inner, rng, p_fail, faults

    def describe(self, rgb):
        if self.rng.random() < self.p_fail:
            self.faults["captioner error"] += 1
            raise RuntimeError("captioner crashed on this frame (injected)")
        return self.inner.describe(rgb)


@dataclass
class SoakReport:
    presses: int = 0
    outcomes: Counter = field(default_factory=Counter)   # printed, failed: reason, lost (unplugged)
    faults: Counter = field(default_factory=Counter)
    corrupt: list = field(default_factory=list)
    rss_start_mb: float = 0.0
    rss_peak_mb: float = 0.0
    rss_end_mb: float = 0.0
    fds_start: int = 0
    fds_end: int = 0
    duplicated: list = field(default_factory=list)       # jobs printed more than once
    seconds: float = 0.0

    def table(self) -> str:
        rows = [("presses", self.presses)] + [(f"  {k}", v) for k, v in sorted(self.outcomes.items())]
        rows += [("faults injected", sum(self.faults.values()))] + [(f"  {k}", v) for k, v in sorted(self.faults.items())]
        rows += [("corrupt archive files", len(self.corrupt)), ("duplicated receipts", len(self.duplicated)),
                 ("peak RSS MB", f"{self.rss_peak_mb:.0f}"),
                 ("RSS growth MB (after warm-up)", f"{self.rss_end_mb - self.rss_start_mb:+.1f}"),
                 ("open files (after warm-up, end)", f"{self.fds_start}, {self.fds_end}"),
                 ("seconds", f"{self.seconds:.0f}")]
        return "\n".join(f"{k:<32} {v:>8}" for k, v in rows)


class WallClock:
    """time.gmtime with an offset the soak can step back, as NTP or a dead RTC would."""

    def __init__(self):
        self.offset_s = 0.0
        self._real = time.gmtime

    def __enter__(self):
        time.gmtime = lambda secs=None: self._real(time.time() + self.offset_s if secs is None else secs)
        return self

    def __exit__(self, *exc):
        time.gmtime = self._real


class FullDisk:
    """Archive writes fail with ENOSPC while `full` is set."""

    def __init__(self):
        self.full = False
        self._real = Archive.write

    def __enter__(self):
        disk = self

        def write(archive, job, name, data):
            if disk.full:
                raise OSError(28, "No space left on device (injected)")
            return disk._real(archive, job, name, data)
        Archive.write = write
        return self

    def __exit__(self, *exc):
        Archive.write = self._real


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def soak(writer, workdir: Path, presses: int = 100, seed: int = 1, length: int = 60) -> SoakReport:
    from .statelock import StateLock
    with StateLock(workdir / "archive", "the soak"), WallClock() as clock, FullDisk() as disk:
        return _soak(writer, workdir, presses, seed, length, clock, disk)


def _soak(writer, workdir: Path, presses: int, seed: int, length: int, clock: WallClock, disk: FullDisk) -> SoakReport:
    from .statelock import StateLock, StateLocked
    rng = random.Random(seed)
    report = SoakReport()
    faults = report.faults
    config = load_config(overrides={"archive_dir": str(workdir / "archive"), "spool_max_jobs": presses + 10})
    from models.captioners import get_captioner
    captioner = FaultyCaptioner(get_captioner("scene"), rng, 0.04, faults)
    voices = [Voice("soak", writer, captioner, [0.5, 0.9], length)]
    box = SimBox(workdir / "narrator-controls")
    controls = SerialControls(str(box.link), reset_wait_s=0.01, hello_timeout_s=2, backoff_max_s=0.2)
    printer = SimPrinter(workdir / "receipts", 384, echo=False)
    camera = SimCamera()
    camera.fail_rate, camera.rng = 0.04, rng
    d = Daemon(config, camera, controls, printer, voices, Archive(workdir / "archive"))
    d.spool.retry_s = 0.05
    runner = threading.Thread(target=d.run, daemon=True)
    runner.start()
    controls.connected.wait(5)
    t0 = time.monotonic()
    lost = 0
    for i in range(presses):
        roll = rng.random()
        if roll < 0.03:                                   # the cable is pulled: this press is lost
            faults["serial unplugged"] += 1
            sessions = controls.sessions
            box.unplug()
            lost += 1
            time.sleep(0.05)
            box.plug()
            deadline = time.monotonic() + 10     # presses while the host reconnects are lost too
            while controls.sessions == sessions and time.monotonic() < deadline:
                time.sleep(0.01)
            continue
        if roll < 0.10:
            faults["serial garbage"] += 1
            box.send(rng.choice([b"\xff\xfe\x00\n", b"KNOB 99999\n", b"X" * 80 + b"\n", b"PRES", b"\x07\n"]))
            box.send(b"\n")
        if rng.random() < 0.02:
            faults["clock stepped back an hour"] += 1
            clock.offset_s -= 3600
        if rng.random() < 0.02:
            faults["second narrator on the archive"] += 1
            try:
                StateLock(workdir / "archive", "a second soak").release()
                report.corrupt.append("a second process could open the archive")
            except StateLocked:
                pass
        disk.full = rng.random() < 0.02
        if disk.full:
            faults["disk full"] += 1
        if rng.random() < 0.05:
            faults["printer offline"] += 1
            printer.offline = True
        elif rng.random() < 0.03:
            faults["printer stalled"] += 1
            printer.stalled = True
        elif rng.random() < 0.04:
            faults["paper out"] += 1
            printer.paper_out = True
        elif rng.random() < 0.04:
            faults["printer cable pulled mid-receipt"] += 1
            printer.fail_in_bytes = rng.randint(10, 3000)
        elif rng.random() < 0.3:
            printer.offline = printer.paper_out = printer.stalled = False   # someone fixed the printer
        done = len(d.results)
        box.press()
        deadline = time.monotonic() + 30
        while len(d.results) == done and time.monotonic() < deadline:
            time.sleep(0.005)
        if i == min(20, presses // 5):
            report.rss_start_mb, report.fds_start = rss_mb(), open_fds()
        report.rss_peak_mb = max(report.rss_peak_mb, rss_mb())
    printer.offline = printer.paper_out = printer.stalled = disk.full = False
    printer.fail_in_bytes = None
    deadline = time.monotonic() + 60
    while (d.spool.queue or d.pending) and time.monotonic() < deadline:
        time.sleep(0.05)
    d.stop()
    runner.join(30)
    box.unplug()
    report.seconds = time.monotonic() - t0
    faults["camera unplugged"] = camera.failures
    report.rss_end_mb, report.fds_end = rss_mb(), open_fds()
    report.presses = presses
    printed = Counter(p.stem for p in printer.receipts)
    report.duplicated = sorted(job for job, n in printed.items() if n > 1)
    report.outcomes["lost on an unplugged cable"] = lost
    archived = set(d.archive.jobs())
    for r in d.results:   # a job the full disk left no trace of is still accounted for
        if r.status == Status.FAILED and r.job_id not in archived:
            report.outcomes[f"failed: {r.error.split(':')[0]} (not archived)"] += 1
    for job in archived:
        try:
            record = d.archive.read_json(job)
        except (OSError, ValueError) as e:
            report.corrupt.append(f"{job}/job.json: {e}")
            continue
        status = record["status"]
        key = f"failed: {record['error'].split(':')[0]}" if status == Status.FAILED else status
        report.outcomes[key] += 1
        for name in (FRAME,):
            if d.archive.path(job, name).exists():
                try:
                    load_image(d.archive.path(job, name))
                except ImageError as e:
                    report.corrupt.append(str(e))
        if d.archive.path(job, RECEIPT).exists():
            try:
                decode(d.archive.path(job, RECEIPT).read_bytes())
            except ValueError as e:
                report.corrupt.append(f"{job}/{RECEIPT}: {e}")
    return report
