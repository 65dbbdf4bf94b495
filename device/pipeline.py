"""One job: capture -> caption -> write -> receipt -> archive -> print.

The receipt's head (header, photo, caption) is archived and, when the printer is free and
ready, sent from a helper thread while the LSTM writes the poem, so paper starts moving within
a second of the press; the body follows once the poem is archived. Every part reaches the
archive before the printer sees it, and whatever cannot print now goes to the spool
(device/spool.py). A failure in one job is recorded with its stage and reason and never stops
the next. The job's record and files are device/job.py's.
"""
from __future__ import annotations

import io
import logging
import threading
import time
from dataclasses import dataclass, field

from PIL import Image

from models.captioners import ImageError, load_image

from .archive import Archive, created_from_id
from .camera import Camera
from .job import FRAME, HEAD, PREVIEW, RECEIPT, Job, Status
from .printer import PrinterError
from .printer.preview import decode, preview_png, render
from .receipt import Paper, fit_budget, plan, receipt_body, receipt_head
from .spool import Spool
from .voices import Voice

log = logging.getLogger(__name__)


@dataclass
class JobResult:
    job_id: str
    status: str                       # printed | spooled | failed (a Status)
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
        job = Job.start(self.archive, voice.name, voice.temperatures)
        try:
            job.save()
            job.stage = "taking the photo"
            rgb = self.camera.frame() if frame is None else frame
            job.lap("capture_s")
            job.stage = "archiving the photo"
            job.write(FRAME, _jpeg(rgb))
            job.lap("archive_frame_s")
        except Exception as e:
            return self._fail(job, e)
        return self._make(job, voice, rgb, stream=True)

    def finish(self, job_id: str, voice: Voice) -> JobResult:
        """Finish a job a crash interrupted: from its saved photo, caption and poem anew (with
        the random seed it recorded, so the same poem)."""
        try:
            job = Job.open(self.archive, job_id)
        except (OSError, ValueError):
            job = Job(self.archive, job_id, {"id": job_id, "created": created_from_id(job_id), "voice": voice.name,
                                             "temperatures": voice.temperatures})
        job.record["recovered"] = True
        try:
            rgb = load_image(self.archive.path(job_id, FRAME))
        except ImageError:
            job.stage = "interrupted before its photo was saved"
            return self._fail(job, None)
        return self._make(job, voice, rgb, stream=False)

    def _make(self, job: Job, voice: Voice, rgb, stream: bool) -> JobResult:
        try:
            job.stage = "captioning"
            cap = voice.captioner.caption(rgb)
            job.lap("caption_s")
            job.stage = "archiving the head"
            job.record.update(caption=cap.text, caption_details=cap.details)
            head = receipt_head(self.paper, job.record["created"], self.installation, rgb, cap.text)
            job.write(HEAD, head)
            job.save(Status.WRITING)
            job.lap("archive_head_s")
        except Exception as e:
            return self._fail(job, e)
        with self.spool.streaming(job.id, stream) as live:
            return self._write_and_print(job, voice, head, live)

    def _write_and_print(self, job: Job, voice: Voice, head: bytes, live: bool) -> JobResult:
        if live:
            head_thread = threading.Thread(target=self.spool.stream, args=(head,), name="print-head")
            head_thread.start()
        try:
            job.stage = "writing the poem"
            caption = job.record["caption"]
            head_dots = render(decode(head), self.paper.dots).height
            temps, length = plan(self.paper, voice.temperatures, voice.length, head_dots)   # the paper budget
            poem = voice.writer.write(caption, temps, length, preseed=voice.preseed,
                                      rng_seed=job.record.get("rng_seed"), keep_subject=voice.keep_subject,
                                      seed=voice.seed_template or None)
            job.lap("write_s")
            labels = [f"{s.temperature:g}" for s in poem.stanzas]
            opening = poem.stanzas[0].caption
            keep, texts = fit_budget(self.paper, head_dots, [s.text for s in poem.stanzas], labels, voice.name,
                                     job.id, opening)
            for i in keep:
                poem.stanzas[i].text = texts[i]
            stanzas = [poem.stanzas[i].text for i in keep]
            receipt = head + receipt_body(self.paper, stanzas, voice.name, job.id, opening, [labels[i] for i in keep])
            if len(keep) < len(voice.temperatures):
                log.info("job %s: the %.0f cm paper budget prints %d of %d stanzas (temperatures %s of %s)", job.id,
                         self.paper.budget_cm, len(keep), len(voice.temperatures), ", ".join(labels[i] for i in keep),
                         ", ".join(f"{t:g}" for t in voice.temperatures))
            job.record.update(stanzas=[poem.stanzas[i].to_dict() for i in keep], poem_timings=poem.timings)
            job.stage = "archiving the receipt"
            job.write(RECEIPT, receipt)
            job.write(PREVIEW, preview_png(receipt, self.paper.dots))
            job.save(Status.ARCHIVED)
            job.lap("archive_s")
        except Exception as e:
            if live:
                head_thread.join()   # the stream ends incomplete as we leave spool.streaming()
            return self._fail(job, e)

        if not live:
            self.spool.submit(job.id)
            job.timings["total_s"] = round(time.monotonic() - job.t0, 4)
            log.info("job %s spooled (%s): %s", job.id, self.spool.fault or "printer busy", caption)
            return JobResult(job.id, Status.SPOOLED, caption, stanzas, job.timings)
        head_thread.join()
        job.lap("print_head_wait_s")
        self.spool.stream(receipt[len(head):])
        job.lap("print_s")
        printer = self.printer
        if printer.first_byte_at is not None and printer.last_byte_at is not None:
            job.timings["first_byte_s"] = round(printer.first_byte_at - job.t0, 4)
            job.timings["last_byte_s"] = round(printer.last_byte_at - job.t0, 4)
        job.timings["total_s"] = round(time.monotonic() - job.t0, 4)
        try:
            job.save(Status.PRINTING)
        except OSError as e:   # the receipt is whole in the archive already: finish printing it
            log.error("job %s: could not record 'printing' in the archive: %s", job.id, e)
        status = self.spool.end_stream(job.id)
        log.info("job %s %s in %.2f s: %s", job.id, status, job.timings["total_s"], caption)
        return JobResult(job.id, status, caption, stanzas, job.timings)

    def reprint(self, job_id: str) -> JobResult:
        try:
            self.spool.print_bytes(f"{job_id}-reprint", self.archive.path(job_id, RECEIPT).read_bytes())
        except (PrinterError, OSError) as e:
            return JobResult(job_id, Status.FAILED, error=f"reprint: {e}")
        return JobResult(job_id, Status.PRINTED)

    def _fail(self, job: Job, error: Exception | None) -> JobResult:
        reason = f"{job.stage}: {error}" if error is not None else job.stage
        log.error("job %s failed %s", job.id, reason)
        try:
            job.save(Status.FAILED, error=reason)
        except OSError as e:   # e.g. the disk is full: the spool writes it when there is room
            log.error("job %s: could not record the failure in the archive (will retry): %s", job.id, e)
            folder = self.archive.root / job.id
            if not any(folder.iterdir()):   # nothing of it was kept: no empty folder posing as a job
                folder.rmdir()
            else:   # else the next start would take it for unfinished and print it after all
                self.spool.unrecorded[job.id] = dict(job.record, status=Status.FAILED)
        return JobResult(job.id, Status.FAILED, job.record.get("caption", ""), timings=job.timings, error=reason)


def _jpeg(rgb) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=90)
    return buf.getvalue()
