"""One job: capture -> caption -> write -> receipt -> archive -> print.

The receipt's head (header, photo, caption) is archived and sent to the printer from a
helper thread while the LSTM writes the poem, so paper starts moving within a second of the
press; the body follows once the poem is archived. Every part reaches the archive before the
printer sees it.
"""
from __future__ import annotations

import io
import logging
import threading
import time
from dataclasses import dataclass, field

from PIL import Image

from models.captioners import Captioner
from models.voice import Voice

from .archive import Archive
from .camera import Camera
from .escpos_decode import decode, render
from .printer import Printer, PrinterError
from .receipt import Paper, receipt_body, receipt_head

log = logging.getLogger(__name__)


@dataclass
class LoadedVoice:
    """A configured voice with its model and captioner loaded and warm."""
    name: str
    voice: Voice
    captioner: Captioner
    temperatures: list[float]
    length: int
    preseed: str | None = None


@dataclass
class JobResult:
    job_id: str
    status: str                       # printed | failed | print-failed
    caption: str = ""
    stanzas: list[str] = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    error: str = ""


class Pipeline:
    def __init__(self, camera: Camera, printer: Printer, archive: Archive, paper: Paper, installation: str = ""):
        self.camera, self.printer, self.archive = camera, printer, archive
        self.paper, self.installation = paper, installation

    def run(self, voice: LoadedVoice, frame=None) -> JobResult:
        t0 = time.monotonic()
        job = self.archive.new_job_id()
        record = {"id": job, "created": time.strftime("%Y-%m-%d %H:%M:%S"), "voice": voice.name,
                  "temperatures": voice.temperatures, "status": "started"}
        timings: dict[str, float] = {}

        def mark(stage: str, since: float) -> float:
            now = time.monotonic()
            timings[stage] = round(now - since, 4)
            return now

        try:
            rgb = self.camera.frame() if frame is None else frame
            t = mark("capture_s", t0)
            self.archive.write(job, "frame.jpg", _jpeg(rgb))
            cap = voice.captioner.caption(rgb)
            t = mark("caption_s", t)
            record.update(caption=cap.text, caption_details=cap.details)
            head = receipt_head(self.paper, record["created"], self.installation, rgb, cap.text)
            self.archive.write(job, "head.bin", head)
            self.archive.write_json(job, dict(record, status="writing", timings=timings))
            t = mark("archive_head_s", t)
        except Exception as e:
            return self._fail(job, record, timings, f"before printing: {e}")

        self.printer.begin(job)
        head_error: list[Exception] = []
        head_thread = threading.Thread(target=self._send, args=(head, head_error), name="print-head")
        head_thread.start()
        try:
            poem = voice.voice.write(cap.text, voice.temperatures, voice.length, preseed=voice.preseed)
            t = mark("write_s", t)
            stanzas = [s.text for s in poem.stanzas]
            body = receipt_body(self.paper, stanzas, voice.name, job)
            record.update(stanzas=[s.to_dict() for s in poem.stanzas], poem_timings=poem.timings)
            self.archive.write(job, "receipt.bin", head + body)
            self.archive.write(job, "receipt.png", _png(render(decode(head + body), self.paper.dots)))
            self.archive.write_json(job, dict(record, status="archived", timings=timings))
            t = mark("archive_s", t)
        except Exception as e:
            head_thread.join()
            return self._fail(job, record, timings, f"while writing the poem: {e}")
        head_thread.join()
        t = mark("print_head_wait_s", t)
        try:
            if head_error:
                raise head_error[0]
            self.printer.send(body)
            produced = self.printer.end()
        except PrinterError as e:
            record["print_error"] = str(e)
            self.archive.write_json(job, dict(record, status="print-failed", timings=timings))
            log.error("job %s: %s", job, e)
            return JobResult(job, "print-failed", cap.text, stanzas, timings, str(e))
        mark("print_s", t)
        if self.printer.first_byte_at is not None:
            timings["first_byte_s"] = round(self.printer.first_byte_at - t0, 4)
            timings["last_byte_s"] = round(self.printer.last_byte_at - t0, 4)
        timings["total_s"] = round(time.monotonic() - t0, 4)
        self.archive.write_json(job, dict(record, status="printed", timings=timings, printed=produced))
        log.info("job %s printed in %.2f s: %s", job, timings["total_s"], cap.text)
        return JobResult(job, "printed", cap.text, stanzas, timings)

    def reprint(self, job_id: str) -> JobResult:
        data = self.archive.path(job_id, "receipt.bin").read_bytes()
        self.printer.begin(f"{job_id}-reprint")
        try:
            self.printer.send(data)
            self.printer.end()
        except PrinterError as e:
            return JobResult(job_id, "print-failed", error=str(e))
        return JobResult(job_id, "printed")

    def _send(self, data: bytes, errors: list) -> None:
        try:
            self.printer.send(data)
        except PrinterError as e:
            errors.append(e)

    def _fail(self, job: str, record: dict, timings: dict, reason: str) -> JobResult:
        log.error("job %s failed %s", job, reason)
        self.archive.write_json(job, dict(record, status="failed", error=reason, timings=timings))
        return JobResult(job, "failed", record.get("caption", ""), timings=timings, error=reason)


def _jpeg(rgb) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()
