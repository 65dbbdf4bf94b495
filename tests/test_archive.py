"""Job ids: unique and in order whatever the wall clock does (steps back, DST, two writers)."""
import os
import threading
import time

import pytest

from device.archive import Archive


@pytest.fixture
def clock(monkeypatch):
    """A wall clock the test moves by hand (seconds since the epoch, UTC)."""
    now = {"t": 1793400000.0}   # 2026-10-31
    real_gmtime = time.gmtime
    monkeypatch.setattr(time, "gmtime", lambda secs=None: real_gmtime(now["t"] if secs is None else secs))
    monkeypatch.setattr(time, "time", lambda: now["t"])
    return now


def test_ids_keep_their_order_when_the_clock_steps_back_an_hour(tmp_path, clock):
    a = Archive(tmp_path)
    first = [a.new_job_id() for _ in range(3)]
    clock["t"] -= 3600                       # NTP correction
    t0 = time.monotonic()
    later = [a.new_job_id() for _ in range(3)]
    assert time.monotonic() - t0 < 1.0       # no spinning
    ids = first + later
    assert ids == sorted(ids) and len(set(ids)) == 6
    clock["t"] += 7200                       # and forward again
    assert a.new_job_id() > ids[-1]


def test_ids_across_the_autumn_daylight_saving_change(tmp_path, clock, monkeypatch):
    """Europe/London falls back at 01:00 UTC on 2026-10-25: local time repeats an hour, UTC
    does not, and the ids follow UTC."""
    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()
    try:
        a = Archive(tmp_path)
        clock["t"] = 1792890000.0 - 1800     # 00:30 UTC, 01:30 BST
        before = a.new_job_id()
        clock["t"] += 3600                   # 01:30 UTC, 01:30 GMT: the same local time again
        after = a.new_job_id()
        assert after > before and before.startswith("20261025-003000") and after.startswith("20261025-013000")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_a_new_process_continues_after_the_newest_job_even_from_an_older_clock(tmp_path, clock):
    a = Archive(tmp_path)
    newest = a.new_job_id()
    (tmp_path / "20301231-235959-01").mkdir()      # written by an older version, clock far ahead
    clock["t"] -= 86400
    b = Archive(tmp_path)                           # a restart forgets nothing: it reads the archive
    nxt = b.new_job_id()
    assert nxt > "20301231-235959-01" > newest and sorted(b.jobs())[-1] == nxt


def test_two_archives_on_one_folder_never_share_an_id(tmp_path, clock):
    a, b = Archive(tmp_path), Archive(tmp_path)
    got = []
    barrier = threading.Barrier(2)

    def make(archive):
        barrier.wait()
        for _ in range(20):
            got.append(archive.new_job_id())
    threads = [threading.Thread(target=make, args=(x,)) for x in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == len(set(got)) == 40 and len(os.listdir(tmp_path)) == 40


def test_a_second_process_on_one_archive_exits_2_naming_the_holder(tmp_path, capsys):
    from device.cli import main
    from device.statelock import StateLock, StateLocked, holder
    archive = tmp_path / "out" / "archive"
    with StateLock(archive):
        assert holder(archive) == os.getpid()
        with pytest.raises(StateLocked, match=f"PID {os.getpid()}"):
            StateLock(archive)
        t0 = time.monotonic()
        assert main(["run", "--dev", "--out", str(tmp_path / "out")]) == 2
        assert main(["snap", "--dev", "--out", str(tmp_path / "out")]) == 2
        assert time.monotonic() - t0 < 5          # at once: before loading any model
        err = capsys.readouterr().err
        assert f"PID {os.getpid()}" in err and "narrator run:" in err and "narrator snap:" in err
    assert holder(archive) is None
    StateLock(archive).release()


def test_the_lock_dies_with_its_holder(tmp_path):
    import signal
    import subprocess
    import sys
    from device.statelock import holder
    p = subprocess.Popen([sys.executable, "-c",
                          "import sys, time; from device.statelock import StateLock; "
                          f"l = StateLock({str(tmp_path)!r}); print('locked', flush=True); time.sleep(60)"],
                         stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "locked"
        assert holder(tmp_path) == p.pid
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
    assert holder(tmp_path) is None       # no stale lock after a SIGKILL
