"""The durable archive: every job's frame, receipt and JSON record, written atomically.

Layout: ARCHIVE/<job id>/{job.json and the job's files (device/job.py names them)}. Each file is
written to a temporary name, flushed to disk and renamed into place, so a power cut leaves
either the old file or the new one, never half of one.
"""
from __future__ import annotations

import calendar
import json
import os
import re
import time
from pathlib import Path

JOB_ID = re.compile(r"^(\d{8}-\d{6})-(\d{2,4})$")


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
        return json.loads(self.path(job_id, "job.json").read_text())

    def jobs(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))
