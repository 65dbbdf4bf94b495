"""~100 presses with random faults in camera, serial line, printer and captioner: every press
is printed or accounted for, no archive file is corrupt, memory stays bounded."""
from device.soak import soak


def test_soak_100_presses_with_faults(tmp_path, tiny_writer, capsys):
    report = soak(tiny_writer, tmp_path, presses=100, seed=7)
    print(report.table())
    outcomes = report.outcomes
    assert sum(outcomes.values()) == report.presses, outcomes
    stages = ("taking the photo", "captioning", "archiving the job", "archiving the photo", "archiving the head",
              "archiving the receipt")
    allowed = {"printed", "lost on an unplugged cable"} | {f"failed: {s}" for s in stages}
    allowed |= {f"failed: {s} (not archived)" for s in stages}
    assert set(outcomes) <= allowed, outcomes
    assert outcomes["printed"] >= 70
    assert sum(report.faults.values()) >= 15 and len(report.faults) >= 5, report.faults
    assert not report.corrupt, report.corrupt
    assert not report.duplicated, report.duplicated
    assert report.rss_end_mb - report.rss_start_mb < 50
    assert report.fds_end <= report.fds_start + 2, (report.fds_start, report.fds_end)
    assert {"disk full", "printer stalled", "clock stepped back an hour", "second narrator on the archive"} & set(report.faults)
