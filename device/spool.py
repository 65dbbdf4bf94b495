"""The print spool: no receipt is lost when the printer is off, unplugged or out of paper.

Every job reaches the archive (device/archive.py) complete before its body is printed. A job
whose printing fails, or that comes while older jobs still wait, is queued here and printed
in order once the printer is ready again (device/retry.py), while the device keeps taking
photos. A receipt cut short is repaired and printed again whole (device/recovery.py, which
also finds at start what a crash or power cut left unprinted).

Policy when full (max_jobs waiting): the oldest waiting job leaves the spool, marked
"expired" in the archive (its receipt stays there and can be reprinted by hand), so the
visitor who is standing at the device gets their poem.

The pipeline streams a job straight to the printer (head while the poem is being written)
only when nothing is waiting and the printer says it is ready; one lock keeps the spool's
thread and the pipeline from interleaving bytes.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from contextlib import contextmanager

from .archive import Archive
from .job import DONE, RECEIPT, SENT, Job, Status
from .printer.preview import DecodeError, decode
from .recovery import RESET, owe, recover, sent_record, write_repair
from .printer import Printer, PrinterError
from .retry import Retry

log = logging.getLogger(__name__)
AGAIN = b"(printed again: the first print was cut short)\n"


class Spool:
    def __init__(self, printer: Printer, archive: Archive, max_jobs: int = 50, retry_s: float = 2.0,
                 on_fault=None):
        self.printer, self.archive = printer, archive
        self.max_jobs, self.retry_s = max_jobs, retry_s
        self.queue: deque[str] = deque()
        self.lock = threading.RLock()          # held while bytes go to the printer
        self.fault = ""                        # why the printer is not printing, "" when fine
        self.on_fault = on_fault or (lambda fault: None)
        self._streaming: str | None = None
        self._stream_ok = True
        self.repair_pad = 0                    # NULs owed before the next byte: end a cut-off command
        self.unrecorded: dict[str, dict] = {}  # statuses the disk refused, written when it can
        self.again: set[str] = set()           # jobs whose print a crash cut short
        self._sent_fd: int | None = None       # ARCHIVE/<job>/sent of the receipt being printed
        self._outgoing = bytearray()            # this receipt's bytes handed to the printer so far
        self._retry: Retry | None = None

    # -- state ------------------------------------------------------------------------------

    def _set_fault(self, fault: str) -> None:
        if fault != self.fault:
            self.fault = fault
            if fault:
                log.warning("printer: %s; %d job(s) spooled", fault, len(self.queue))
            else:
                log.info("printer ready again")
            self.on_fault(fault)

    def ready(self) -> bool:
        """Whether to try the printer now. A fault stays until a receipt prints while jobs wait:
        a write-only printer that opens fine may still not take data, and the operator must
        not see "ready" between two failed tries."""
        ok, why = self.printer.status()
        if not ok:
            self._set_fault(why)
        elif not self.queue:
            self._set_fault("")
        return ok

    def _mark(self, job: str, status: Status, **extra) -> None:
        """Record a job's status; if the disk refuses (full), keep it and try again later, so
        a receipt that printed never reads "spooled" once the disk has room."""
        fields = dict(self.unrecorded.get(job, {}), **extra)
        fields.pop("status", None)
        try:
            if fields.get("id") == job:   # a whole record (its own was lost or never written)
                self.archive.write_json(job, dict(fields, status=str(status)))
            else:
                Job.open(self.archive, job).save(status, **fields)
            self.unrecorded.pop(job, None)
            if status in DONE:   # only now: a crash before this still finds a printed receipt whole in `sent`
                (self.archive.root / job / SENT).unlink(missing_ok=True)
        except (OSError, ValueError) as e:
            self.unrecorded[job] = dict(fields, status=status)
            log.error("job %s: could not record status %s in the archive (will retry): %s", job, status, e)

    def record_pending(self) -> None:
        """Write the statuses the disk refused earlier."""
        for job, fields in list(self.unrecorded.items()):
            self._mark(job, fields["status"])

    # -- how far a receipt got --------------------------------------------------------------

    @property
    def repair(self) -> bytes:
        """What the printer is owed before any other byte (recovery.owe)."""
        return bytes(self.repair_pad) + RESET if self.repair_pad else b""

    def owe_repair(self, pad: int) -> None:
        """Owe `pad` NULs and a reset, recorded before the first goes (recovery.write_repair)."""
        if pad > self.repair_pad:
            self.repair_pad = pad
            write_repair(self.archive.root, pad)

    def _begin(self, label: str) -> None:
        """Start a receipt on the printer: first any repair owed, then record progress in the
        job's folder as bytes leave, so the next start knows whether it went out whole."""
        if self.repair_pad:   # before anything else; raises like any send (then still owed)
            self.printer.begin("repair")
            self.printer.send(self.repair)
            self.repair_pad = 0
            write_repair(self.archive.root, 0)
        self.printer.begin(label)
        self._outgoing = bytearray()
        folder = self.archive.root / label
        if folder.is_dir():
            # not truncated: until this print's first write, a reprint's file still says the
            # last print was cut short (and the record "sent tried" is fixed-width)
            fd = os.open(folder / SENT, os.O_WRONLY | os.O_CREAT, 0o644)
            self.printer.on_progress = lambda sent, tried: os.pwrite(fd, sent_record(sent, tried), 0)
            self._sent_fd = fd

    def _finish(self, label: str, printed: bool) -> None:
        """End a receipt. One that did not print but of which any byte may have gone out left
        the printer perhaps inside a command: the repair is owed now (the rule recovery
        applies at start-up), and its `sent` file stays, saying "cut short", until it prints.
        A printed one's file (every byte sent) stays until 'printed' is recorded (_mark)."""
        self.printer.on_progress = None
        tried, outgoing, self._outgoing = self.printer.tried, bytes(self._outgoing), bytearray()
        cut = not printed and tried > 0
        if cut:
            owe(self, label, outgoing)
        fd, self._sent_fd = self._sent_fd, None
        if fd is None:
            return
        if cut:   # whatever the counts said, it did not print: a restart must not think otherwise
            os.pwrite(fd, sent_record(0, tried), 0)
        os.close(fd)
        if not printed and not cut and label not in self.again:   # nothing went out: nothing to know
            (self.archive.root / label / SENT).unlink(missing_ok=True)

    # -- streaming a fresh job --------------------------------------------------------------

    @contextmanager
    def streaming(self, job: str, wanted: bool = True):
        """`with spool.streaming(job) as live:` -- live is True when the job prints as it is
        made (then call stream() and end_stream() inside). The printer lock is taken and
        released here and nowhere else: whatever happens inside, it is released on the way out,
        and a stream not ended by end_stream() ends as incomplete, so one failed archive write
        can never stop all printing."""
        live = wanted and self.lock.acquire(blocking=False)
        if live and (self.queue or not self.ready()):   # older jobs first, or no printer: spool it
            self.lock.release()
            live = False
        try:
            if live:
                self._open_stream(job)
            yield live
        finally:
            if live:
                try:
                    if self._streaming == job:
                        self._close_stream(job, printed=False)
                finally:
                    self.lock.release()

    def _open_stream(self, job: str) -> None:
        self._streaming, self._stream_ok = job, True
        try:
            self._begin(job)
        except PrinterError as e:
            self._stream_ok = False
            self._set_fault(str(e))

    def _close_stream(self, job: str, printed: bool) -> None:
        self._finish(job, printed)
        self._streaming = None

    def stream(self, data: bytes) -> bool:
        if not self._stream_ok:
            return False
        try:
            self._outgoing += data
            self.printer.send(data)
            return True
        except PrinterError as e:
            self._stream_ok = False
            self._set_fault(str(e))
            return False

    def end_stream(self, job: str) -> Status:
        """Finish a streamed job whose receipt was all sent: PRINTED, or SPOOLED when anything
        went wrong (it prints again, whole, from the archive)."""
        printed = False
        try:
            if self._stream_ok:
                try:
                    produced = self.printer.end()
                    printed = True
                    self._set_fault("")
                    self._mark(job, Status.PRINTED, printed=produced, printed_at=time.strftime("%Y-%m-%d %H:%M:%S"))
                    return Status.PRINTED
                except PrinterError as e:
                    self._set_fault(str(e))
            self.submit(job)
            return Status.SPOOLED
        finally:
            self._close_stream(job, printed)

    # -- the queue --------------------------------------------------------------------------

    def submit(self, job: str) -> None:
        with self.lock:
            if job in self.queue:
                return
            while len(self.queue) >= self.max_jobs:
                old = self.queue.popleft()
                self._mark(old, Status.EXPIRED, expired_because=f"spool full ({self.max_jobs} jobs)")
                log.warning("spool full: job %s expired (its receipt stays in the archive)", old)
            self.queue.append(job)
            self._mark(job, Status.SPOOLED, spooled_because=self.fault or "the printer was busy")
        self.wake()

    def pump(self) -> int:
        """Print waiting jobs in order while the printer is ready; returns how many printed."""
        printed = 0
        with self.lock:
            while self.queue and self.ready():
                job = self.queue[0]
                try:
                    data = self.archive.path(job, RECEIPT).read_bytes()
                    decode(data)   # a garbled receipt would print garbage and leave the printer mid-command
                except (OSError, DecodeError) as e:
                    self.queue.popleft()
                    self._mark(job, Status.FAILED, error=f"receipt unreadable or garbled in the archive "
                                                         f"(kept, not printed): {e}")
                    log.error("job %s: its receipt is unreadable or garbled (%s); not printed", job, e)
                    continue
                try:
                    produced = self.print_bytes(job, data)
                except PrinterError as e:
                    self._set_fault(str(e))
                    break
                self.queue.popleft()
                self._set_fault("")
                self._mark(job, Status.PRINTED, printed=produced, printed_at=time.strftime("%Y-%m-%d %H:%M:%S"))
                printed += 1
                log.info("spooled job %s printed (%d still waiting)", job, len(self.queue))
        return printed

    def print_bytes(self, label: str, data: bytes) -> dict:
        """Send one whole receipt now, holding the printer; raises PrinterError. A receipt a
        crash cut short says so in its first line."""
        with self.lock:
            printed = False
            try:
                self._begin(label)
                if label in self.again:   # the notice is not the receipt: counts start after it
                    progress, self.printer.on_progress = self.printer.on_progress, None
                    self.printer.send(AGAIN)
                    self.printer.sent = self.printer.tried = 0
                    self.printer.on_progress = progress
                self._outgoing = bytearray(data)
                self.printer.send(data)
                produced = self.printer.end()
                printed = True
                self.again.discard(label)
                return produced
            finally:
                self._finish(label, printed)

    def recover(self) -> list[str]:
        """Queue the archive's complete but unprinted jobs, oldest first; return the jobs a crash
        left unfinished, for the pipeline to finish (device/recovery.py)."""
        return recover(self)

    # -- the background printer thread (device/retry.py) ------------------------------------

    def start(self) -> None:
        self._retry = Retry(self)
        self._retry.start()

    def wake(self) -> None:
        """Try the waiting jobs now (a new job, a reprint)."""
        if self._retry:
            self._retry.wake.set()

    def stop(self) -> None:
        if self._retry:
            self._retry.stop()
