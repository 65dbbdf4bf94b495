"""Start-up never dies on state: bad records, counts, receipts and lock files are moved aside
and named, everything else goes on, and nothing that may have printed is printed twice."""
import os

import pytest

from device.statelock import StateLock, StateLocked


def printed_jobs(make_daemon, n):
    d, _ = make_daemon()
    return d, [d.pipeline.run(d.voice).job_id for _ in range(n)]


def test_bad_state_files_are_quarantined_and_start_up_goes_on(make_daemon, caplog):
    d, (a, b, c) = printed_jobs(make_daemon, 3)
    d.printer.offline = True
    spooled_d = d.pipeline.run(d.voice).job_id
    spooled_e = d.pipeline.run(d.voice).job_id
    arc = d.archive
    arc.path(a, "job.json").write_text("[]")
    arc.path(b, "job.json").write_text("null")
    arc.path(c, "job.json").write_bytes(b"\x00garbage{")
    arc.path(spooled_d, "sent").write_text("999999999999\n")
    arc.path(spooled_e, "receipt.bin").write_bytes(b"\x1dv0\x00\xff\xff\xff\xff" + b"\x00" * 40)
    d2, controls = make_daemon()
    controls.quit()
    d2.run()                                                    # never a traceback, never a restart loop
    st = {j: arc.read_json(j) for j in arc.jobs()}
    for job in (a, b, c):                                       # may have printed: kept, never printed twice
        assert st[job]["status"] == "failed" and "unreadable" in st[job]["error"]
        assert [p for p in os.listdir(arc.root / job) if p.startswith("job.json.bad-")]
        assert st[job]["created"][:4] == job[:4] and "-" in st[job]["created"][4:8]   # a date, not the id
    assert st[spooled_d]["status"] == "printed"                 # its count was garbage: reset, printed again
    assert [p for p in os.listdir(arc.root / spooled_d) if p.startswith("sent.bad-")]
    assert st[spooled_e]["status"] == "failed" and "garbled" in st[spooled_e]["error"]
    assert [r.stem for r in d2.printer.receipts] == [spooled_d]   # one receipt printed, the good one
    assert "moved aside" in caplog.text


def test_a_fully_sent_receipt_is_not_printed_again(make_daemon):
    """A crash after the last byte went out, before the job was marked printed."""
    d, _ = make_daemon()
    d.printer.offline = True
    job = d.pipeline.run(d.voice).job_id
    size = d.archive.path(job, "receipt.bin").stat().st_size
    d.archive.path(job, "sent").write_text(f"{size}\n")
    d2, controls = make_daemon()
    controls.quit()
    d2.run()
    assert d2.archive.read_json(job)["status"] == "printed" and not d2.printer.receipts


@pytest.mark.parametrize("kind", ["directory", "symlink"])
def test_the_lock_file_is_never_followed_and_a_strange_one_is_replaced(tmp_path, kind):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    lock = tmp_path / ".narrator.lock"
    lock.mkdir() if kind == "directory" else lock.symlink_to(victim)
    with StateLock(tmp_path):
        assert lock.is_file() and not lock.is_symlink() and lock.read_text().strip() == str(os.getpid())
        with pytest.raises(StateLocked, match="PID"):
            StateLock(tmp_path)
    assert victim.read_text() == "precious"
    assert [p for p in os.listdir(tmp_path) if p.startswith(".narrator.lock.bad-")]


def test_what_is_not_a_job_folder_is_left_alone(make_daemon, caplog):
    """fsck's lost+found, dot files and a folder made by hand are not jobs: never 'failed',
    never finished, never touched."""
    d, (job,) = printed_jobs(make_daemon, 1)
    for name in ("lost+found", ".Trash-1000", "notes"):
        (d.archive.root / name).mkdir()
    (d.archive.root / ".DS_Store").write_bytes(b"\0\1")
    d2, controls = make_daemon()
    controls.quit()
    d2.run()
    assert d2.archive.jobs() == [job] and not d2.results
    assert "lost+found" not in caplog.text and not list((d.archive.root / "lost+found").iterdir())


def test_an_empty_record_beside_a_whole_receipt_prints_it(make_daemon):
    """A waiting job whose job.json a power cut left empty: its receipt is whole, so the
    record is rebuilt (and the empty one kept aside) and the receipt prints once."""
    d, _ = make_daemon()
    d.printer.offline = True
    job = d.pipeline.run(d.voice).job_id
    d.archive.path(job, "job.json").write_bytes(b"")
    d2, controls = make_daemon()
    controls.quit()
    d2.run()
    record = d2.archive.read_json(job)
    assert record["status"] == "printed" and record["recovered_record"]
    assert [r.stem for r in d2.printer.receipts] == [job]
    assert [p for p in os.listdir(d.archive.root / job) if p.startswith("job.json.bad-")]


@pytest.mark.parametrize("status", ["failed", "printed"])
def test_a_done_job_keeps_no_sent_file(make_daemon, status):
    """A job that failed or printed is never printed by itself again, so a sent file it left
    says nothing (a kill -9 can fall between recording "printed" and removing the file): it
    goes at start, and nothing is repaired or reprinted for it."""
    d, _ = make_daemon()
    d.printer.offline = True
    job = d.pipeline.run(d.voice).job_id
    d.archive.write_json(job, dict(d.archive.read_json(job), status=status, error="test"))
    d.archive.path(job, "sent").write_text(f"{100:12d}\n")
    d2, controls = make_daemon()
    controls.quit()
    d2.run()
    assert not d.archive.path(job, "sent").exists() and not d2.printer.receipts
    assert d2.archive.read_json(job)["status"] == status and not (d2.archive.root / ".repair").exists()


def test_a_failure_the_full_disk_refused_is_recorded_later_and_never_printed(monkeypatch, make_daemon):
    """The disk is full when the receipt is archived and when the failure is recorded: the
    spool writes 'failed' once there is room, so the next start does not take the job for
    unfinished and print it after all."""
    from device.archive import Archive
    d, _ = make_daemon()
    real_write = Archive.write

    filled = []

    def full(self, job, name, data):          # the disk fills as the receipt is written
        if name == "receipt.bin" or filled:
            filled.append(name)
            raise OSError(28, "No space left on device")
        return real_write(self, job, name, data)
    monkeypatch.setattr(Archive, "write", full)
    bad = d.pipeline.run(d.voice)
    assert bad.status == "failed" and bad.job_id in d.spool.unrecorded
    assert d.archive.read_json(bad.job_id)["status"] == "writing"      # what a restart would see
    monkeypatch.setattr(Archive, "write", real_write)
    d.spool.record_pending()
    record = d.archive.read_json(bad.job_id)
    assert record["status"] == "failed" and "No space left" in record["error"]
    d2, controls = make_daemon()
    controls.quit()
    d2.run()
    assert not d2.results and not d2.printer.receipts
