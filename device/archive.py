"""The durable archive: every job's frame, receipt and JSON record, written atomically.

Layout: ARCHIVE/<job id>/{frame.jpg, job.json, head.bin, receipt.bin, receipt.png}. Each file is
written to a temporary name, flushed to disk and renamed into place, so a power cut leaves
either the old file or the new one, never half of one.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path


class Archive:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._last_id = ""

    def new_job_id(self) -> str:
        """Sortable, unique: date-time plus a counter for jobs within the same second."""
        base = time.strftime("%Y%m%d-%H%M%S")
        n = 1
        while (job := f"{base}-{n:02d}") <= self._last_id or (self.root / job).exists():
            n += 1
        self._last_id = job
        (self.root / job).mkdir(parents=True)
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

    def last_printed(self) -> str | None:
        """The newest job with a complete receipt, for reprints."""
        for job in reversed(self.jobs()):
            if self.path(job, "receipt.bin").exists():
                return job
        return None
