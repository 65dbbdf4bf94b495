"""Never lose a poem: the spool keeps receipts through printer faults and crashes."""
import os
import signal
import subprocess
import sys
import time

import pytest

from device.archive import Archive
from device.printer.preview import decode


def statuses(archive: Archive) -> list[str]:
    return [archive.read_json(j)["status"] for j in archive.jobs()]


def test_printer_off_spools_in_order_and_prints_when_back(make_daemon):
    d, controls = make_daemon()
    d.spool.retry_s = 0.1
    d.printer.offline = True
    d.spool.start()
    results = [d.pipeline.run(d.voice) for _ in range(3)]
    assert [r.status for r in results] == ["spooled"] * 3
    assert statuses(d.archive) == ["spooled"] * 3 and "does not answer" in d.spool.fault
    d.printer.offline = False
    deadline = time.time() + 10
    while d.spool.queue and time.time() < deadline:
        time.sleep(0.05)
    d.spool.stop()
    assert statuses(d.archive) == ["printed"] * 3
    printed = [p.stem for p in d.printer.receipts]
    assert printed == [r.job_id for r in results]   # in order


def test_paper_out_shows_on_the_light(make_daemon):
    d, controls = make_daemon()
    d.printer.paper_out = True
    result = d.pipeline.run(d.voice)
    assert result.status == "spooled" and "paper" in d.spool.fault
    assert controls.status == "paper-out"
    d.printer.paper_out = False
    assert d.spool.pump() == 1
    assert controls.status == "idle"


def test_a_cable_pulled_mid_receipt_spools_the_whole_receipt(make_daemon):
    d, _ = make_daemon()
    d.printer.fail_in_bytes = 500             # dies inside the photo
    result = d.pipeline.run(d.voice)
    assert result.status == "spooled"
    d.printer.offline = False
    assert d.spool.pump() == 1
    job = d.archive.root / result.job_id
    again = b"(printed again: the first print was cut short)\n"   # the visitor knows why there are two
    assert d.printer.receipts[-1].with_suffix(".bin").read_bytes() == again + (job / "receipt.bin").read_bytes()


def test_a_receipt_cut_short_while_running_is_repaired_before_anything_else(make_daemon):
    """The printer (one that keeps state) stops inside the photo's raster: before the next
    byte of anything, it gets the rest of that raster and a reset, so what it received decodes
    whole; the job prints again, whole, once."""
    d, _ = make_daemon()
    d.printer.keeps_state = True
    d.printer.fail_in_bytes = 700             # inside the raster
    first = d.pipeline.run(d.voice)
    assert first.status == "spooled" and d.spool.repair.endswith(b"\x1b@")
    cut = bytes(d.printer.buffer)              # what the printer took before the cable went
    assert 0 < len(cut) == 700
    d.printer.offline = False
    assert d.spool.pump() == 1
    received = bytes(d.printer.roll)           # the cut receipt, the repair, the reprint
    assert received.startswith(cut)
    doc = decode(received)                     # raises if the printer was left mid-command
    receipt = d.archive.path(first.job_id, "receipt.bin").read_bytes()
    assert received.endswith(receipt) and doc.text.count("printed again") == 1
    assert not d.spool.repair and d.archive.read_json(first.job_id)["status"] == "printed"


def test_full_spool_expires_the_oldest(make_daemon):
    d, _ = make_daemon()
    d.spool.max_jobs = 2
    d.printer.offline = True
    jobs = [d.pipeline.run(d.voice).job_id for _ in range(3)]
    assert list(d.spool.queue) == jobs[1:]
    assert d.archive.read_json(jobs[0])["status"] == "expired"
    assert (d.archive.root / jobs[0] / "receipt.bin").exists()   # still there to reprint by hand


def test_disk_full_fails_the_job_cleanly_and_the_next_one_works(monkeypatch, make_daemon):
    d, _ = make_daemon()
    real_write = Archive.write

    def full(self, job, name, data):
        if name == "receipt.bin":
            raise OSError(28, "No space left on device")
        return real_write(self, job, name, data)
    monkeypatch.setattr(Archive, "write", full)
    bad = d.pipeline.run(d.voice)
    assert bad.status == "failed" and "No space left" in bad.error
    assert not list((d.archive.root / bad.job_id).glob(".*.tmp"))
    monkeypatch.setattr(Archive, "write", real_write)
    assert d.pipeline.run(d.voice).status == "printed"


def test_archive_write_leaves_no_partial_file(tmp_path, monkeypatch):
    a = Archive(tmp_path)
    job = a.new_job_id()
    a.write(job, "x.bin", b"old")
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    with pytest.raises(OSError):
        a.write(job, "x.bin", b"new")
    assert a.path(job, "x.bin").read_bytes() == b"old"
    assert not list((tmp_path / job).glob(".*"))


def test_sighup_reloads_and_sigterm_stops_cleanly(tmp_path, tiny_checkpoint):
    cfg = tmp_path / "narrator.toml"
    voice = f'[[voices]]\nmodel = "{tiny_checkpoint}"\ntemperatures = [0.5]\nlength = 80\n'
    cfg.write_text('installation = "First Hall"\n' + voice)
    p = subprocess.Popen([sys.executable, "-c", "import sys; from device.cli import main; sys.exit(main())",
                          "run", "--dev", "--config", str(cfg), "--out", str(tmp_path / "out")],
                         stdin=subprocess.PIPE, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    log = []

    def wait_log(text, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = p.stderr.readline()
            log.append(line)
            if text in line:
                return True
        return False
    try:
        assert wait_log("ready:"), "".join(log)
        cfg.write_text('installation = "Second Hall"\n' + voice)
        p.send_signal(signal.SIGHUP)
        assert wait_log("config reloaded"), "".join(log)
        cfg.write_text('installation = "Broken"\n[printer]\npaper = "wide"\n' + voice)
        p.send_signal(signal.SIGHUP)
        assert wait_log("config reload failed, keeping the running config"), "".join(log)
        p.stdin.write("\n")
        p.stdin.flush()
        assert wait_log("printed in"), "".join(log)
        p.send_signal(signal.SIGTERM)
        assert p.wait(30) == 0
    finally:
        if p.poll() is None:
            p.kill()
    archive = Archive(tmp_path / "out" / "archive")
    (job,) = archive.jobs()
    text = decode(archive.path(job, "receipt.bin").read_bytes()).text
    assert "Second Hall" in text and "Broken" not in text


def test_a_sighup_during_start_up_does_not_kill_the_daemon(tmp_path, tiny_checkpoint):
    cfg = tmp_path / "narrator.toml"
    cfg.write_text(f'[[voices]]\nmodel = "{tiny_checkpoint}"\ntemperatures = [0.5]\nlength = 40\n')
    p = subprocess.Popen([sys.executable, "-c", "import sys; from device.cli import main; sys.exit(main())",
                          "run", "--dev", "--config", str(cfg), "--out", str(tmp_path / "out")],
                         stdin=subprocess.PIPE, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        line = p.stderr.readline()                      # the first log line: the config, before any model loads
        assert "config:" in line, line
        p.send_signal(signal.SIGHUP)
        log = [line]
        deadline = time.time() + 60
        while time.time() < deadline and not any("config reloaded" in x for x in log):
            log.append(p.stderr.readline())
        assert any("config reloaded" in x for x in log), "".join(log)
        p.send_signal(signal.SIGTERM)
        assert p.wait(30) == 0
    finally:
        if p.poll() is None:
            p.kill()


def test_doctor_reports_waiting_receipts_and_failures(make_daemon):
    from device.doctor import _archive_checks
    d, _ = make_daemon()
    d.printer.offline = True
    d.pipeline.run(d.voice)
    d.camera.fail_next = 1
    d.pipeline.run(d.voice)
    lines = {what: (ok, detail) for ok, what, detail in _archive_checks(d.archive.root)}
    assert lines["spool"][0] is False and "1 receipt(s) waiting" in lines["spool"][1]
    assert "latest reason: the printer does not answer" in lines["spool"][1]
    assert "1 of the last 2 jobs" in lines["recent failures"][1]
    assert "taking the photo: camera sim stopped delivering frames" in lines["recent failures"][1]


def _lock_is_free(spool) -> bool:
    """Whether another thread could take the printer now."""
    import threading
    got = []

    def try_it():
        got.append(spool.lock.acquire(blocking=False))
        if got[0]:
            spool.lock.release()
    t = threading.Thread(target=try_it)
    t.start()
    t.join()
    return got[0]


def test_a_failed_archive_write_mid_stream_releases_the_printer(monkeypatch, make_daemon):
    d, _ = make_daemon()
    real = Archive.write_json

    def full_disk_when_printing(self, job, record):
        if record.get("status") == "printing":
            raise OSError(28, "No space left on device")
        return real(self, job, record)
    monkeypatch.setattr(Archive, "write_json", full_disk_when_printing)
    first = d.pipeline.run(d.voice)
    assert first.status == "printed" and _lock_is_free(d.spool)

    def full_disk_for_the_preview(self, job, name, data):
        if name == "receipt.png":
            raise OSError(28, "No space left on device")
        return real_write(self, job, name, data)
    real_write = Archive.write
    monkeypatch.setattr(Archive, "write_json", real)
    monkeypatch.setattr(Archive, "write", full_disk_for_the_preview)
    second = d.pipeline.run(d.voice)
    assert second.status == "failed" and second.error.startswith("archiving the receipt: ")
    assert "No space left" in second.error and _lock_is_free(d.spool)
    monkeypatch.setattr(Archive, "write", real_write)
    assert d.pipeline.run(d.voice).status == "printed"


def test_an_exception_inside_a_stream_still_releases_the_printer(make_daemon):
    d, _ = make_daemon()
    job = d.archive.new_job_id()
    with pytest.raises(RuntimeError):
        with d.spool.streaming(job) as live:
            assert live
            raise RuntimeError("something unexpected")
    assert _lock_is_free(d.spool)


def test_a_status_the_full_disk_refused_is_written_when_there_is_room(monkeypatch, make_daemon):
    d, _ = make_daemon()
    d.printer.offline = True
    job = d.pipeline.run(d.voice).job_id                 # spooled
    d.printer.offline = False
    real = Archive.write_json
    monkeypatch.setattr(Archive, "write_json", lambda self, j, r: (_ for _ in ()).throw(OSError(28, "No space left")))
    assert d.spool.pump() == 1                           # it prints; the disk will not take "printed"
    assert d.archive.read_json(job)["status"] == "spooled" and job in d.spool.unrecorded
    monkeypatch.setattr(Archive, "write_json", real)
    d.spool.record_pending()
    assert d.archive.read_json(job)["status"] == "printed" and not d.spool.unrecorded
