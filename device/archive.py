"""The durable archive: every job's frame, receipt and JSON record, written atomically.

Layout: ARCHIVE/<job id>/{job.json and the job's files (device/job.py names them)}. Each file is
written to a temporary name, flushed to disk and renamed into place, so a power cut leaves
either the old file or the new one, never half of one.
"""
from __future__ import annotations

import calendar
import json
import logging
import os
import re
import time
from pathlib import Path

JOB_ID = re.compile(r"^(\d{8}-\d{6})-(\d{2,4})$")
log = logging.getLogger(__name__)


def quarantine(path: Path, why: str) -> Path | None:
    """Move a bad state file aside (never delete it: someone may want to read it) and say so;
    returns where it went, or None when even that failed."""
    aside = path.with_name(f"{path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}")
    n = 1
    while aside.exists() or aside.is_symlink():
        aside, n = path.with_name(f"{path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}-{n}"), n + 1
    try:
        os.replace(path, aside)
    except OSError as e:
        log.error("%s is bad (%s) and could not be moved aside: %s", path, why, e)
        return None
    log.warning("%s is bad (%s): moved aside to %s", path, why, aside.name)
    return aside


def created_from_id(job_id: str) -> str:
    """A job's creation time (UTC) read back from its id, for a record that was lost."""
    m = JOB_ID.match(job_id)
    if not m:
        return job_id
    return time.strftime("%Y-%m-%d %H:%M:%S", time.strptime(m.group(1), "%Y%m%d-%H%M%S"))


class Archive:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._last_id = ""

    def new_job_id(self) -> str:
        """Sortable and unique whatever the wall clock does: UTC date-time plus a sequence
        number. If the clock stepped back (NTP, a dead RTC battery), ids go on from the newest
        one in the archive instead of sorting before it; daylight saving never moves UTC.
        The human date of a job is its record's "created"."""
        if not self._last_id:   # once per process: after that this process is the only writer (statelock)
            ids = [j for j in self.jobs() if JOB_ID.match(j)]
            self._last_id = ids[-1] if ids else ""
        newest = self._last_id
        base, n = time.strftime("%Y%m%d-%H%M%S", time.gmtime()), 1
        last = JOB_ID.match(newest)
        if last and base <= last.group(1):
            seq = last.group(2)
            if len(seq) == 4 and int(seq) < 9999:
                base, n = last.group(1), int(seq) + 1
            else:   # an older 2-digit id, or a full second: go on from the next second
                step = time.strptime(last.group(1), "%Y%m%d-%H%M%S")
                base = time.strftime("%Y%m%d-%H%M%S", time.gmtime(calendar.timegm(step) + 1))
        while True:
            job = f"{base}-{n:04d}"
            try:
                (self.root / job).mkdir(parents=True)   # atomic: two processes never share an id
                break
            except FileExistsError:
                n += 1
        self._last_id = job
        return job

    def path(self, job_id: str, name: str) -> Path:
        return self.root / job_id / name

    def write(self, job_id: str, name: str, data: bytes) -> Path:
        final = self.path(job_id, name)
        tmp = final.with_name(f".{name}.tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, final)
        except OSError:
            tmp.unlink(missing_ok=True)   # a full disk leaves no half-written file behind
            raise
        dir_fd = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return final

    def write_json(self, job_id: str, record: dict) -> Path:
        return self.write(job_id, "job.json", json.dumps(record, indent=2).encode())

    def read_json(self, job_id: str) -> dict:
        """A job's record; OSError or ValueError when it is missing, unreadable or not a record."""
        record = json.loads(self.path(job_id, "job.json").read_text())
        if not isinstance(record, dict) or not isinstance(record.get("status", ""), str):
            raise ValueError(f"job {job_id}: job.json holds {type(record).__name__}, not a job record")
        return record

    def jobs(self) -> list[str]:
        """The job folders, oldest first: what else lives here (lost+found, dot files, a
        folder someone made by hand) is not a job."""
        return sorted(p.name for p in self.root.iterdir() if JOB_ID.match(p.name) and p.is_dir())
