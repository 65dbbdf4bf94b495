"""One job: capture -> caption -> write -> receipt -> archive -> print.

The receipt's head (header, photo, caption) is archived and, when the printer is free and
ready, sent from a helper thread while the LSTM writes the poem, so paper starts moving within
a second of the press; the body follows once the poem is archived. Every part reaches the
archive before the printer sees it, and whatever cannot print now goes to the spool
(device/spool.py). A failure in one job is recorded with its reason and never stops the next.
"""
from __future__ import annotations

import io
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field

from PIL import Image

from models.captioners import ImageError, load_image

from .archive import Archive
from .camera import Camera
from .printer.preview import decode, render
from .printer import PrinterError
from .receipt import Paper, receipt_body, receipt_head
from .spool import Spool
from .voices import Voice

log = logging.getLogger(__name__)


@dataclass
class JobResult:
    job_id: str
    status: str                       # printed | spooled | failed
    caption: str = ""
    stanzas: list[str] = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    error: str = ""


class Pipeline:
    def __init__(self, camera: Camera, spool: Spool, archive: Archive, paper: Paper, installation: str = ""):
        self.camera, self.spool, self.archive = camera, spool, archive
        self.paper, self.installation = paper, installation

    @property
    def printer(self):
        return self.spool.printer

    def run(self, voice: Voice, frame=None) -> JobResult:
        """A new job from the camera (or the given frame)."""
        t0 = time.monotonic()
        job = self.archive.new_job_id()
        record = {"id": job, "created": time.strftime("%Y-%m-%d %H:%M:%S"), "voice": voice.name,
                  "temperatures": voice.temperatures, "status": "started",
                  "rng_seed": secrets.randbits(31)}   # a crash-recovered job writes the very same poem
        timings: dict[str, float] = {}
        stage = "archiving the job"
        try:
            self.archive.write_json(job, record)
            stage = "taking the photo"
            rgb = self.camera.frame() if frame is None else frame
            timings["capture_s"] = round(time.monotonic() - t0, 4)
            stage = "archiving the photo"
            self.archive.write(job, "frame.jpg", _jpeg(rgb))
        except Exception as e:
            return self._fail(job, record, timings, f"{stage}: {e}")
        return self._make(job, record, voice, rgb, t0, timings, stream=True)

    def finish(self, job: str, voice: Voice) -> JobResult:
        """Finish a job a crash interrupted: from its saved photo, caption and poem anew."""
        t0 = time.monotonic()
        try:
            record = self.archive.read_json(job)
        except (OSError, ValueError):
            record = {"id": job, "created": job, "voice": voice.name, "temperatures": voice.temperatures}
        record["recovered"] = True
        try:
            rgb = load_image(self.archive.path(job, "frame.jpg"))
        except ImageError:
            return self._fail(job, record, {}, "interrupted before its photo was saved")
        return self._make(job, record, voice, rgb, t0, {}, stream=False)

    def _make(self, job, record, voice, rgb, t0, timings, stream: bool) -> JobResult:
        t = time.monotonic()

        def mark(stage: str):
            nonlocal t
            now = time.monotonic()
            timings[stage] = round(now - t, 4)
            t = now

        stage = "captioning"
        try:
            cap = voice.captioner.caption(rgb)
            mark("caption_s")
            stage = "archiving the head"
            record.update(caption=cap.text, caption_details=cap.details)
            head = receipt_head(self.paper, record["created"], self.installation, rgb, cap.text)
            self.archive.write(job, "head.bin", head)
            self.archive.write_json(job, dict(record, status="writing", timings=timings))
            mark("archive_head_s")
        except Exception as e:
            return self._fail(job, record, timings, f"{stage}: {e}")

        with self.spool.streaming(job, stream) as streaming:
            return self._write_and_print(job, record, voice, cap, head, t0, timings, mark, streaming)

    def _write_and_print(self, job, record, voice, cap, head, t0, timings, mark, streaming: bool) -> JobResult:
        if streaming:
            head_thread = threading.Thread(target=self.spool.stream, args=(head,), name="print-head")
            head_thread.start()
        stage = "writing the poem"
        try:
            poem = voice.writer.write(cap.text, voice.temperatures, voice.length, preseed=voice.preseed,
                                     rng_seed=record.get("rng_seed"))
            mark("write_s")
            stanzas = [s.text for s in poem.stanzas]
            body = receipt_body(self.paper, stanzas, voice.name, job)
            record.update(stanzas=[s.to_dict() for s in poem.stanzas], poem_timings=poem.timings)
            stage = "archiving the receipt"
            self.archive.write(job, "receipt.bin", head + body)
            self.archive.write(job, "receipt.png", _png(render(decode(head + body), self.paper.dots)))
            self.archive.write_json(job, dict(record, status="archived", timings=timings))
            mark("archive_s")
        except Exception as e:
            if streaming:
                head_thread.join()   # the stream ends incomplete as we leave spool.streaming()
            return self._fail(job, record, timings, f"{stage}: {e}")

        if not streaming:
            self.spool.submit(job)
            timings["total_s"] = round(time.monotonic() - t0, 4)
            log.info("job %s spooled (%s): %s", job, self.spool.fault or "printer busy", cap.text)
            return JobResult(job, "spooled", cap.text, stanzas, timings)
        head_thread.join()
        mark("print_head_wait_s")
        self.spool.stream(body)
        mark("print_s")
        if self.printer.first_byte_at is not None and self.printer.last_byte_at is not None:
            timings["first_byte_s"] = round(self.printer.first_byte_at - t0, 4)
            timings["last_byte_s"] = round(self.printer.last_byte_at - t0, 4)
        timings["total_s"] = round(time.monotonic() - t0, 4)
        try:
            self.archive.write_json(job, dict(record, status="printing", timings=timings))
        except OSError as e:   # the receipt is whole in the archive already: finish printing it
            log.error("job %s: could not record 'printing' in the archive: %s", job, e)
        status = self.spool.end_stream(job, complete=True)
        log.info("job %s %s in %.2f s: %s", job, status, timings["total_s"], cap.text)
        return JobResult(job, status, cap.text, stanzas, timings)

    def reprint(self, job_id: str) -> JobResult:
        data = self.archive.path(job_id, "receipt.bin").read_bytes()
        try:
            self.spool.print_bytes(f"{job_id}-reprint", data)
        except PrinterError as e:
            return JobResult(job_id, "failed", error=f"reprint: {e}")
        return JobResult(job_id, "printed")

    def _fail(self, job: str, record: dict, timings: dict, reason: str) -> JobResult:
        log.error("job %s failed %s", job, reason)
        try:
            self.archive.write_json(job, dict(record, status="failed", error=reason, timings=timings))
        except OSError as e:   # e.g. the disk is full: say so, keep running
            log.error("job %s: could not record the failure in the archive: %s", job, e)
            folder = self.archive.root / job
            if not any(folder.iterdir()):   # nothing of it was kept: no empty folder posing as a job
                folder.rmdir()
        return JobResult(job, "failed", record.get("caption", ""), timings=timings, error=reason)


def _jpeg(rgb) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()
