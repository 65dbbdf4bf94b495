"""The job as one concept: its record saves itself with plain-word statuses and its timings,
and its receipt preview is rendered once although the archive and the printer both keep one."""
import json

from device.archive import Archive
from device.job import PREVIEW, RECEIPT, Job, Status, last_printed


def test_a_job_records_and_saves_itself(tmp_path):
    archive = Archive(tmp_path)
    job = Job.start(archive, "calm", [0.5, 0.9])
    job.save()
    job.lap("capture_s")
    job.stage = "writing the poem"
    job.save(Status.PRINTED, caption="a cat on a mat")
    on_disk = json.loads((tmp_path / job.id / "job.json").read_text())
    assert on_disk["status"] == "printed" and on_disk["caption"] == "a cat on a mat"
    assert on_disk["voice"] == "calm" and isinstance(on_disk["rng_seed"], int)
    assert on_disk["timings"]["capture_s"] >= 0
    again = Job.open(archive, job.id)
    assert again.status == Status.PRINTED and again.record == on_disk
    assert last_printed(archive) is None           # no receipt yet
    again.write(RECEIPT, b"\x1b@hello\n")
    assert last_printed(archive) == job.id and archive.path(job.id, RECEIPT).read_bytes() == b"\x1b@hello\n"


def test_the_preview_is_rendered_once_per_job(tmp_path, monkeypatch, make_daemon):
    import device.printer.preview as preview
    calls = []
    real = preview.render
    monkeypatch.setattr(preview, "render", lambda doc, width: calls.append(width) or real(doc, width))
    preview.preview_png.cache_clear()
    d, controls = make_daemon()
    controls.press()
    controls.quit()
    d.run()
    (result,) = d.results
    assert result.status == Status.PRINTED
    archived = (d.archive.root / result.job_id / PREVIEW).read_bytes()
    printed = (tmp_path / "receipts" / f"{result.job_id}.png").read_bytes()
    assert archived == printed and len(calls) == 1
