"""Operation on a real device: the systemd unit (verified and scored by systemd-analyze), the
install script (staged twice, then removed), the udev rules, and the AVR firmware build."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from device.config import load_config

REPO = Path(__file__).parents[1]
UNIT = REPO / "systemd" / "narrator.service"


def need(tool: str) -> str:
    """The tool's path; in CI a missing tool is a failure (.ci/run installs it), elsewhere a skip."""
    path = shutil.which(tool)
    if not path:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is missing: .ci/run should have installed it")
        pytest.skip(f"{tool} not installed")
    return path


@pytest.fixture
def unit_with_real_binary(tmp_path):
    """The unit as install.sh installs it, with ExecStart pointing at this venv's narrator
    (systemd-analyze verify fails when the binary does not exist)."""
    exe = Path(sys.executable).parent / "narrator"
    assert exe.exists()
    unit = tmp_path / "narrator.service"
    unit.write_text(UNIT.read_text().replace("/opt/narrator/venv/bin/narrator", str(exe)))
    return unit


def test_unit_verifies_cleanly(unit_with_real_binary):
    r = subprocess.run([need("systemd-analyze"), "verify", str(unit_with_real_binary)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == "", r.stderr   # verify only warns on unknown keys and bad values


def test_unit_exposure_score_is_at_most_2(unit_with_real_binary):
    r = subprocess.run([need("systemd-analyze"), "security", "--offline=true", str(unit_with_real_binary)],
                       capture_output=True, text=True)
    m = re.search(r"Overall exposure level for \S+: ([\d.]+)", r.stdout + r.stderr)
    assert m, r.stdout[-2000:] + r.stderr
    score = float(m.group(1))
    print(f"systemd-analyze security exposure: {score}")
    assert score <= 2.0


def test_unit_essentials():
    text = UNIT.read_text()
    for line in ("Type=notify", "WatchdogSec=", "Restart=on-failure", "StateDirectory=narrator", "User=narrator",
                 "DevicePolicy=closed", "NoNewPrivileges=yes", "ProtectSystem=strict"):
        assert line in text, line
    assert "PrivateDevices=yes" not in text   # it would hide the camera and serial ports


def test_install_script_stages_twice_and_uninstalls(tmp_path):
    root = tmp_path / "root"
    for _ in range(2):   # safe to run twice
        r = subprocess.run(["bash", str(REPO / "systemd" / "install.sh"), "--root", str(root)],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    assert (root / "etc/systemd/system/narrator.service").read_text() == UNIT.read_text()
    assert (root / "etc/udev/rules.d/99-narrator.rules").exists()
    config = load_config(root / "etc/narrator/narrator.toml")
    assert config.archive_dir == "/var/lib/narrator/archive"
    assert (root / "opt/narrator/src/models/shipped/poetry.safetensors").exists()
    # the config is never overwritten
    (root / "etc/narrator/narrator.toml").write_text('installation = "mine"\n')
    subprocess.run(["bash", str(REPO / "systemd" / "install.sh"), "--root", str(root)], check=True, capture_output=True)
    assert "mine" in (root / "etc/narrator/narrator.toml").read_text()
    subprocess.run(["bash", str(REPO / "systemd" / "install.sh"), "--root", str(root), "--uninstall"],
                   check=True, capture_output=True)
    assert not (root / "etc/systemd/system/narrator.service").exists()
    assert (root / "etc/narrator/narrator.toml").exists()   # kept without --purge


def test_udev_rules_are_well_formed():
    known = re.compile(r'^(SUBSYSTEM|KERNEL|ATTR\{\w+\}|ATTRS\{\w+\})=="[^"]+"$|^(SYMLINK\+|GROUP|MODE)="[^"]+"$')
    rules = [line for line in (REPO / "hardware/udev/99-narrator.rules").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert len(rules) >= 5
    names = set()
    for rule in rules:
        parts = [p.strip() for p in rule.split(", ")]
        assert all(known.match(p) for p in parts), rule
        names.update(re.findall(r'SYMLINK\+="([^"]+)"', rule))
    assert names == {"narrator-controls", "narrator-printer", "narrator-camera"}


def test_firmware_builds_for_the_atmega328p(tmp_path):
    need("avr-gcc")
    r = subprocess.run(["make", "-C", str(REPO / "hardware/firmware"), f"BUILD={tmp_path}"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    hexfile = (tmp_path / "firmware.hex").read_text()
    assert hexfile.startswith(":") and hexfile.rstrip().endswith(":00000001FF")
    text_size = int(re.search(r"^\s*(\d+)\s+\d+\s+\d+", r.stdout, re.M).group(1))
    assert text_size < 30 * 1024   # fits the Uno's 32 KB flash with its bootloader
