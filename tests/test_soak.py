"""~100 presses with random faults in camera, serial line, printer and captioner: every press
is printed or accounted for, no archive file is corrupt, memory stays bounded."""
from device.soak import soak


def test_soak_100_presses_with_faults(tmp_path, tiny_voice, capsys):
    report = soak(tiny_voice, tmp_path, presses=100, seed=7)
    print(report.table())
    outcomes = report.outcomes
    assert sum(outcomes.values()) == report.presses, outcomes
    assert set(outcomes) <= {"printed", "lost on an unplugged cable", "failed: taking the photo", "failed: captioning"}, outcomes
    assert outcomes["printed"] >= 70
    assert sum(report.faults.values()) >= 15 and len(report.faults) >= 5, report.faults
    assert not report.corrupt, report.corrupt
    assert report.rss_end_mb - report.rss_start_mb < 50
