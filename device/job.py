"""The job: one press, from photo to receipt, as its record in the archive tells it.

    job = Job.start(archive, voice.name, voice.temperatures)   # claims an id; nothing saved yet
    job.stage = "taking the photo"                               # what a failure now is called
    job.lap("capture_s")                                         # seconds since the last lap
    job.write(FRAME, jpeg)                                       # a file of the job, atomically
    job.save(Status.WRITING, caption=text)                       # fields + status -> job.json

Everything that reads or writes a job's files goes through these names, so the pipeline, the
spool, doctor and the soak agree on what a job is: its statuses (Status), its files (FRAME,
HEAD, RECEIPT, PREVIEW, SENT) and its record (job.json: id, created, voice, temperatures,
rng_seed, status, caption, stanzas, timings and, when it failed, the stage and reason).
"""
from __future__ import annotations

import secrets
import time
from enum import Enum

from .archive import Archive

FRAME = "frame.jpg"         # the photo, as taken
HEAD = "head.bin"           # header, photo and caption in ESC/POS: printed while the poem is written
RECEIPT = "receipt.bin"     # the whole receipt in ESC/POS, exactly as the printer gets it
PREVIEW = "receipt.png"     # the receipt as it will look, rendered from RECEIPT's bytes
SENT = "sent"               # while printing: how many bytes of the receipt the printer took


class Status(str, Enum):
    """Where a job stands. A str, so job.json holds the plain word."""
    STARTED = "started"       # id claimed, record saved; the photo comes next
    WRITING = "writing"       # photo, caption and head archived; the poem is being written
    ARCHIVED = "archived"     # the whole receipt is archived; printing comes next
    PRINTING = "printing"     # the receipt is going to the printer
    PRINTED = "printed"
    SPOOLED = "spooled"       # waiting in the spool for the printer
    EXPIRED = "expired"       # left the full spool unprinted; its receipt stays in the archive
    FAILED = "failed"         # the record says at which stage and why

    def __str__(self) -> str:
        return self.value


UNPRINTED = (Status.ARCHIVED, Status.SPOOLED, Status.PRINTING)   # a whole receipt waits for paper
UNFINISHED = (Status.STARTED, Status.WRITING)                    # a crash came before the receipt
DONE = (Status.PRINTED, Status.FAILED, Status.EXPIRED)            # never printed again: no `sent` file kept


class Job:
    def __init__(self, archive: Archive, job_id: str, record: dict):
        self.archive, self.id, self.record = archive, job_id, record
        self.timings: dict[str, float] = record.setdefault("timings", {})
        self.stage = "archiving the job"
        self.t0 = self._lap = time.monotonic()

    @classmethod
    def start(cls, archive: Archive, voice: str, temperatures: list[float]) -> "Job":
        """A new job with a fresh id. Its poem's random seed is chosen now and recorded, so a
        job a crash interrupts is finished with the very same poem."""
        job_id = archive.new_job_id()
        return cls(archive, job_id, {"id": job_id, "created": time.strftime("%Y-%m-%d %H:%M:%S"), "voice": voice,
                                     "temperatures": temperatures, "status": str(Status.STARTED),
                                     "rng_seed": secrets.randbits(31)})

    @classmethod
    def open(cls, archive: Archive, job_id: str) -> "Job":
        """A job from the archive; raises OSError or ValueError when its record is unreadable."""
        return cls(archive, job_id, archive.read_json(job_id))

    @property
    def status(self) -> str:
        return self.record.get("status", "")

    def lap(self, name: str) -> None:
        """Record the seconds since the last lap (or the start) as timings[name]."""
        now = time.monotonic()
        self.timings[name] = round(now - self._lap, 4)
        self._lap = now

    def save(self, status: Status | None = None, **fields) -> None:
        """Update the record and write job.json atomically; raises OSError (a full disk)."""
        self.record.update(fields)
        if status is not None:
            self.record["status"] = str(status)
        self.archive.write_json(self.id, self.record)

    def write(self, name: str, data: bytes) -> None:
        self.archive.write(self.id, name, data)


def last_printed(archive: Archive) -> str | None:
    """The newest job with a complete receipt, for reprints."""
    for job_id in reversed(archive.jobs()):
        if archive.path(job_id, RECEIPT).exists():
            return job_id
    return None
