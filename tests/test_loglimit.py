"""Repeated warnings are rate-limited with a count."""
import logging
import time

from device.loglimit import Throttle


def test_a_storm_of_warnings_logs_once_then_counts(caplog, monkeypatch):
    now = {"t": 1000.0}
    monkeypatch.setattr(time, "monotonic", lambda: now["t"])
    t = Throttle(logging.getLogger("storm"), interval_s=30)
    with caplog.at_level(logging.WARNING):
        for _ in range(1020):               # 1 MB of serial noise, one line per kB
            t.warning("garbage", "controls box sent %s line", "garbage")
            now["t"] += 0.01
        now["t"] += 30
        t.warning("garbage", "controls box sent %s line", "garbage")
        t.warning("other", "another fault")
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "controls box sent garbage line"
    assert "and 1019 more like it" in lines[1] and lines[2] == "another fault" and len(lines) == 3
