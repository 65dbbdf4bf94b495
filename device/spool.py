"""The print spool: no receipt is lost when the printer is off, unplugged or out of paper.

Every job reaches the archive (device/archive.py) complete before its body is printed. A job
whose printing fails, or that comes while older jobs still wait, is queued here and printed
in order once the printer is ready again, while the device keeps taking photos. On start,
recover() finds what a crash or power cut left unprinted.

Policy when full (max_jobs waiting): the oldest waiting job leaves the spool, marked
"expired" in the archive (its receipt stays there and can be reprinted by hand), so the
visitor who is standing at the device gets their poem.

The pipeline streams a job straight to the printer (head while the poem is being written)
only when nothing is waiting and the printer says it is ready; one lock keeps the spool's
thread and the pipeline from interleaving bytes.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from contextlib import contextmanager

from .archive import Archive
from .printer import Printer, PrinterError

log = logging.getLogger(__name__)
UNPRINTED = ("archived", "spooled", "printing")


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
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

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
        ok, why = self.printer.status()
        self._set_fault("" if ok else why)
        return ok

    def _mark(self, job: str, status: str, **extra) -> None:
        try:
            record = self.archive.read_json(job)
            record.update(extra, status=status)
            self.archive.write_json(job, record)
        except (OSError, ValueError) as e:
            log.error("job %s: could not record status %s in the archive: %s", job, status, e)

    # -- streaming a fresh job --------------------------------------------------------------

    @contextmanager
    def streaming(self, job: str, wanted: bool = True):
        """`with spool.streaming(job) as live:` -- live is True when the job prints as it is
        made (then call stream() and end_stream() inside). Whatever happens inside, the printer
        lock is released on the way out: an exception before end_stream() ends the stream as
        incomplete, so one failed archive write can never stop all printing."""
        live = wanted and self.begin_stream(job)
        try:
            yield live
        finally:
            if live and self._streaming == job:
                self.end_stream(job, complete=False)

    def begin_stream(self, job: str) -> bool:
        """Take the printer for a job that prints as it is made. False: spool it instead."""
        if not self.lock.acquire(blocking=False):
            return False
        if self.queue or not self.ready():
            self.lock.release()
            return False
        self._streaming, self._stream_ok = job, True
        self.printer.begin(job)
        return True

    def stream(self, data: bytes) -> bool:
        if not self._stream_ok:
            return False
        try:
            self.printer.send(data)
            return True
        except PrinterError as e:
            self._stream_ok = False
            self._set_fault(str(e))
            return False

    def end_stream(self, job: str, complete: bool) -> str:
        """Finish a streamed job: 'printed', or 'spooled' when anything went wrong."""
        try:
            if complete and self._stream_ok:
                try:
                    produced = self.printer.end()
                    self._mark(job, "printed", printed=produced, printed_at=time.strftime("%Y-%m-%d %H:%M:%S"))
                    return "printed"
                except PrinterError as e:
                    self._set_fault(str(e))
            if complete:
                self.submit(job)
                return "spooled"
            return "failed"
        finally:
            self._streaming = None
            self.lock.release()

    # -- the queue --------------------------------------------------------------------------

    def submit(self, job: str) -> None:
        with self.lock:
            if job in self.queue:
                return
            while len(self.queue) >= self.max_jobs:
                old = self.queue.popleft()
                self._mark(old, "expired", expired_because=f"spool full ({self.max_jobs} jobs)")
                log.warning("spool full: job %s expired (its receipt stays in the archive)", old)
            self.queue.append(job)
            self._mark(job, "spooled", spooled_because=self.fault or "the printer was busy")
        self._wake.set()

    def pump(self) -> int:
        """Print waiting jobs in order while the printer is ready; returns how many printed."""
        printed = 0
        with self.lock:
            while self.queue and self.ready():
                job = self.queue[0]
                try:
                    data = self.archive.path(job, "receipt.bin").read_bytes()
                except OSError as e:
                    self.queue.popleft()
                    self._mark(job, "failed", error=f"receipt unreadable in the archive: {e}")
                    continue
                try:
                    produced = self.print_bytes(job, data)
                except PrinterError as e:
                    self._set_fault(str(e))
                    break
                self.queue.popleft()
                self._mark(job, "printed", printed=produced, printed_at=time.strftime("%Y-%m-%d %H:%M:%S"))
                printed += 1
                log.info("spooled job %s printed (%d still waiting)", job, len(self.queue))
        return printed

    def print_bytes(self, label: str, data: bytes) -> dict:
        """Send one whole receipt now, holding the printer; raises PrinterError."""
        with self.lock:
            self.printer.begin(label)
            self.printer.send(data)
            return self.printer.end()

    def recover(self) -> list[str]:
        """Queue the archive's complete but unprinted jobs, oldest first; return the jobs that
        a crash left unfinished (no complete receipt) for the pipeline to finish."""
        unfinished = []
        for job in self.archive.jobs():
            try:
                status = self.archive.read_json(job).get("status")
            except (OSError, ValueError):
                status = None
            if status in UNPRINTED and self.archive.path(job, "receipt.bin").exists():
                self.submit(job)
            elif status in ("started", "writing", None):
                unfinished.append(job)
        if self.queue or unfinished:
            log.info("recovered %d unprinted and %d unfinished job(s) from the archive", len(self.queue), len(unfinished))
        return unfinished

    # -- the background printer thread ------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="spool", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.queue:
                try:
                    self.pump()
                except Exception:  # the spool must outlive anything a printer driver throws
                    log.exception("spool pump failed")
            self._wake.wait(self.retry_s)
            self._wake.clear()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)
