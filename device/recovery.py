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
import os
import time
from pathlib import Path

from .archive import created_from_id, quarantine
from .job import DONE, HEAD, RECEIPT, SENT, UNFINISHED, UNPRINTED, Status
from .printer.preview import longest_command

log = logging.getLogger(__name__)
RESET = b"\x1b@"              # ESC @: initialise the printer
REPAIR = ".repair"            # ARCHIVE/.repair: NULs the printer is owed, until they have gone out


def note_cut_short(spool, job: str, status: str | None) -> bool:
    """A crash came while this job's receipt was going out. Returns True when every byte of
    it had surely gone (then it printed: never printed twice). Otherwise, if any byte may have
    gone, the printer is owed the repair and the reprint says it is one; where exactly it
    stopped does not matter (owe)."""
    sent_file = spool.archive.root / job / SENT
    data_file = spool.archive.path(job, RECEIPT)
    if not data_file.exists():
        data_file = spool.archive.path(job, HEAD)
    try:
        data = data_file.read_bytes()
    except OSError:
        data = b""
    try:
        sent, tried = read_sent(sent_file.read_text())
        if not 0 <= sent <= tried <= len(data):
            raise ValueError(f"it says {sent} (up to {tried}) bytes of a {len(data)}-byte receipt went out")
    except (OSError, ValueError) as e:
        quarantine(sent_file, str(e))   # how far it got is unknown: perhaps anywhere
        owe(spool, job, data)
        return False
    if sent == len(data) and data_file.name == RECEIPT and status in UNPRINTED:   # the file goes once marked
        log.warning("job %s: every byte of its receipt had gone out before the crash; it is not printed again", job)
        return True
    if tried > 0:   # the file stays until the reprint prints: a crash before then still knows
        owe(spool, job, data)
    else:
        sent_file.unlink(missing_ok=True)
    return False


def sent_record(sent: int, tried: int) -> bytes:
    """The `sent` file's one line: fixed width, so each update overwrites the last in place."""
    return b"%12d %12d\n" % (sent, tried)


def read_sent(text: str) -> tuple[int, int]:
    """The `sent` file: "SENT TRIED", bytes surely handed over and bytes perhaps handed over
    (an older file holds one count). Raises ValueError on anything else."""
    fields = [int(f) for f in text.split()] or [0]
    if len(fields) > 2:
        raise ValueError(f"{len(fields)} numbers where one or two belong")
    return fields[0], fields[-1]


def owe(spool, label: str, data: bytes) -> None:
    """The one repair rule, live (spool._finish) and at start-up. The printer took some of
    `data` and stopped, perhaps inside a command, and how much it took is never known for
    sure (a kernel buffer, a write timeout, a crash between a write and its count). So it is
    owed as many NULs as the longest command in `data`: whatever command it is inside, they
    finish it (a raster band in white), and past its end a printer ignores them. Then ESC @,
    then the receipt again, whole, saying it is a reprint. Sending the repair twice does no
    harm, so a crash during it simply sends it again."""
    spool.again.add(label)
    if not spool.printer.keeps_state:
        return
    pad = longest_command(data)
    spool.owe_repair(pad)
    log.warning("job %s was cut short; it prints again, whole, after %d NULs and a reset", label, pad)


def read_repair(root: Path) -> int:
    """NULs a repair the last run did not finish still owes (0: none)."""
    try:
        return max(0, int((root / REPAIR).read_text().split()[0]))
    except (OSError, ValueError, IndexError):
        return 0


def write_repair(root: Path, pad: int) -> None:
    """Record (pad > 0) or clear the owed repair, before its first byte and after its last."""
    path = root / REPAIR
    try:
        if pad:
            tmp = root / (REPAIR + ".tmp")
            tmp.write_text(f"{pad}\n")
            os.replace(tmp, path)
        else:
            path.unlink(missing_ok=True)
    except OSError as e:
        log.error("could not record the printer's repair in %s (kept in memory): %s", path, e)


def recover(spool) -> list[str]:
    """Queue the archive's complete but unprinted jobs, oldest first; return the jobs that
    a crash left unfinished (no complete receipt) for the pipeline to finish. A record that
    cannot be read is moved aside, never trusted: a job whose receipt was archived whole is
    then not printed again on a guess (it may have printed). An empty record beside a whole
    receipt is a write the disk lost: the receipt waits for paper again (recovered_record)."""
    if pad := read_repair(spool.archive.root):
        log.warning("the printer is still owed %d NULs and a reset from a repair a crash interrupted", pad)
        spool.repair_pad = pad   # already recorded
    unfinished = []
    for job in spool.archive.jobs():
        sent_file = spool.archive.root / job / SENT
        try:
            status = spool.archive.read_json(job).get("status")
        except (OSError, ValueError) as e:
            record = spool.archive.path(job, "job.json")
            empty = _is_empty(record)
            if record.exists():
                quarantine(record, "empty" if empty else f"unreadable: {e}")
            if spool.archive.path(job, RECEIPT).exists():
                if not empty:
                    lost_record(spool.archive, job)
                    continue
                status = Status.SPOOLED
                log.warning("job %s: its record was empty; its receipt is whole, so it waits for paper again", job)
                spool._mark(job, status, id=job, created=created_from_id(job), recovered_record=True)
            else:
                status = None
        if status in DONE:   # what spool._mark does once it has recorded these (a kill may fall between)
            sent_file.unlink(missing_ok=True)
        elif sent_file.exists():
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


def _is_empty(path: Path) -> bool:
    try:
        return not path.read_bytes().strip()
    except OSError:
        return False


def lost_record(archive, job: str) -> None:
    log.warning("job %s: its record was unreadable; its receipt stays in the archive and is not printed "
                "again (it may have printed)", job)
    try:
        archive.write_json(job, {"id": job, "created": created_from_id(job), "status": str(Status.FAILED),
                                      "error": "its record was unreadable (moved aside); the receipt was kept, "
                                               "not printed again"})
    except OSError as e:
        log.error("job %s: could not write a new record: %s", job, e)
