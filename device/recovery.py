"""What a crash or power cut left behind, found at start-up: receipts to print, jobs to finish,
and state files that cannot be trusted.

Every file is checked before it is believed: a record that is not a job record, a `sent` count
that is not a number of bytes of that receipt, are moved aside (archive.quarantine, never
deleted) and named in the log, and start-up goes on. A receipt that was archived whole is
never printed twice on a guess: when every byte had gone out it is marked printed; when its
record is lost it is kept, not printed.
"""
from __future__ import annotations

import logging
import time

from .archive import created_from_id, quarantine
from .job import HEAD, RECEIPT, SENT, UNFINISHED, UNPRINTED, Status
from .printer.preview import DecodeError, completion

log = logging.getLogger(__name__)
RESET = b"\x1b@"              # ESC @: initialise the printer


def note_cut_short(spool, job: str, status: str | None) -> bool:
    """A crash left this job's receipt part-printed: owe the printer the rest of the command
    it was inside (then a reset), and say on the reprint that it is one. Returns True when
    every byte of the whole receipt had gone out: then it is printed, never printed twice."""
    sent_file = spool.archive.root / job / SENT
    data_file = spool.archive.path(job, RECEIPT)
    if not data_file.exists():
        data_file = spool.archive.path(job, HEAD)
    try:
        data = data_file.read_bytes()
    except OSError:
        data = b""
    try:
        sent = int(sent_file.read_text().strip() or 0)
        if not 0 <= sent <= len(data):
            raise ValueError(f"it says {sent} bytes of a {len(data)}-byte receipt went out")
    except (OSError, ValueError) as e:
        quarantine(sent_file, str(e))   # where the print stopped is unknown: a reset, then again
        owe(spool, job, b"", 0)
        return False
    if sent == len(data) and data_file.name == RECEIPT and status in UNPRINTED:
        sent_file.unlink(missing_ok=True)
        log.warning("job %s: every byte of its receipt had gone out before the crash; it is not printed again", job)
        return True
    if sent > 0:   # the file stays until the reprint begins (after the repair): a crash now still knows
        owe(spool, job, data, sent)
    else:
        sent_file.unlink(missing_ok=True)
    return False


def owe(spool, label: str, data: bytes, sent: int) -> None:
    """The one repair rule, live (spool._finish) and at start-up: the printer took `sent`
    bytes of `data` and stopped, so before anything else it gets the rest of the command it
    is inside and a reset; the reprint says it is one."""
    spool.again.add(label)
    if not spool.printer.keeps_state:
        return
    try:
        owed = completion(data, min(sent, len(data)))
    except DecodeError as e:
        log.warning("job %s: cannot tell where its print stopped (%s); resetting the printer", label, e)
        owed = b""
    spool.repair = owed + RESET
    log.warning("job %s was cut short after %d of %d bytes; it prints again, whole, after %d bytes of repair",
                label, sent, len(data), len(spool.repair))


def recover(spool) -> list[str]:
    """Queue the archive's complete but unprinted jobs, oldest first; return the jobs that
    a crash left unfinished (no complete receipt) for the pipeline to finish. A record that
    cannot be read is moved aside, never trusted: a job whose receipt was archived whole is
    then not printed again on a guess (it may have printed)."""
    unfinished = []
    for job in spool.archive.jobs():
        try:
            status = spool.archive.read_json(job).get("status")
        except (OSError, ValueError) as e:
            if spool.archive.path(job, "job.json").exists():
                quarantine(spool.archive.path(job, "job.json"), f"unreadable: {e}")
            if spool.archive.path(job, RECEIPT).exists():
                lost_record(spool.archive, job)
                continue
            status = None
        if (spool.archive.root / job / SENT).exists() and status != Status.PRINTED:
            if note_cut_short(spool, job, status):
                spool._mark(job, Status.PRINTED, printed_at=time.strftime("%Y-%m-%d %H:%M:%S"))
                continue
        if status in UNPRINTED and spool.archive.path(job, RECEIPT).exists():
            spool.submit(job)
        elif status in UNFINISHED or status is None:
            unfinished.append(job)
    if spool.queue or unfinished:
        log.info("recovered %d unprinted and %d unfinished job(s) from the archive", len(spool.queue), len(unfinished))
    return unfinished

def lost_record(archive, job: str) -> None:
    log.warning("job %s: its record was unreadable; its receipt stays in the archive and is not printed "
                "again (it may have printed)", job)
    try:
        archive.write_json(job, {"id": job, "created": created_from_id(job), "status": str(Status.FAILED),
                                      "error": "its record was unreadable (moved aside); the receipt was kept, "
                                               "not printed again"})
    except OSError as e:
        log.error("job %s: could not write a new record: %s", job, e)
