"""The spool's printer thread (device/retry.py): it never gives up, backs off, and a printer
plugged back in prints at once."""
import time

import device.retry as retry


def test_re_sends_back_off_and_never_give_up(make_daemon, monkeypatch):
    """A printer that takes no data: the spool tries again and again, waiting longer each time
    (doubling, at most BACKOFF_MAX_S), never gives up, and prints the job by itself, without a
    press, once the printer takes data again."""
    monkeypatch.setattr(retry, "BACKOFF_MAX_S", 0.16)
    d, _ = make_daemon()
    d.printer.stalled = True
    job = d.pipeline.run(d.voice).job_id
    tries = []
    real_send = d.printer.send
    d.printer.send = lambda data: (tries.append(time.monotonic()), real_send(data))
    d.spool.retry_s = 0.01
    d.spool.start()
    try:
        deadline = time.monotonic() + 20
        while len(tries) < 14 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(tries) >= 14                                           # past the old 10-try give-up
        gaps = [b - a for a, b in zip(tries, tries[1:])]
        assert gaps[1] > gaps[0] * 1.5 and max(gaps) < 0.16 * 3          # backs off, capped
        assert d.archive.read_json(job)["status"] == "spooled" and list(d.spool.queue) == [job]
        d.printer.stalled = False
        deadline = time.monotonic() + 10   # the queue empties just before 'printed' is written: wait on that
        while d.archive.read_json(job)["status"] != "printed" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert d.archive.read_json(job)["status"] == "printed"
    finally:
        d.spool.stop()


def test_a_printer_plugged_back_in_prints_within_two_seconds(make_daemon):
    """After a long backoff the spool is waiting a minute between tries; plugging the printer
    back in (its device node comes back) prints the waiting job at once."""
    d, _ = make_daemon()
    d.printer.offline = True                  # unplugged: status says so, present() is False
    job = d.pipeline.run(d.voice).job_id
    d.spool.retry_s = 60.0                    # the longest wait there is
    d.spool.start()
    try:
        time.sleep(0.5)                       # the spool has tried once and is waiting
        assert d.archive.read_json(job)["status"] == "spooled"
        d.printer.offline = False
        t0 = time.monotonic()
        while d.archive.read_json(job)["status"] != "printed" and time.monotonic() - t0 < 10:
            time.sleep(0.02)
        assert time.monotonic() - t0 < 2.0 and d.archive.read_json(job)["status"] == "printed"
    finally:
        d.spool.stop()
