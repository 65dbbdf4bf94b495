"""The real firmware image, as flashed to the Arduino, running in simavr with its UART on a pty
and the host's SerialControls on the other end: handshake, a burst of commands, the knob, the
button. Skips where the AVR toolchain or simavr is missing (.ci/run installs both)."""
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from device.controls import ControlEvent, SerialControls

FIRMWARE = Path(__file__).parents[1] / "hardware" / "firmware"
SIMAVR_HEADERS = Path("/usr/include/simavr/parts/uart_pty.h")


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    if not shutil.which("avr-gcc") or not SIMAVR_HEADERS.exists():
        pytest.skip("needs gcc-avr and simavr (apt install gcc-avr avr-libc simavr libsimavr-dev libelf-dev)")
    build = tmp_path_factory.mktemp("fw")
    subprocess.run(["make", "-C", str(FIRMWARE), f"BUILD={build}", f"{build}/firmware.elf", f"{build}/sim_board"],
                   check=True, capture_output=True)
    return build


@pytest.fixture
def board(images):
    proc = subprocess.Popen([str(images / "sim_board"), str(images / "firmware.elf")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
    line = ""
    while not line.startswith("pty "):
        line = proc.stdout.readline()
        assert line, "sim_board ended before its pty was ready"
    controls = SerialControls(line.split()[1], reset_wait_s=0.05, hello_timeout_s=5)
    assert controls.connected.wait(10), controls.last_error

    def do(command: str) -> None:
        proc.stdin.write(command + "\n")
        proc.stdin.flush()
    yield do, controls
    controls.close()
    do("quit")
    proc.wait(10)


def next_event(controls, kind, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        e = controls.poll(0.1)
        if e and e.kind == kind:
            return e
    return None


def test_the_real_firmware_greets_and_answers_a_burst_of_commands(board):
    _, controls = board
    assert controls.firmware == "1.0.0"
    before = controls.counts.get("hello", 0)
    controls._send("\n".join(["HELLO"] * 20))     # 120 bytes in one write, while replies go out
    deadline = time.monotonic() + 10
    while controls.counts.get("hello", 0) < before + 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert controls.counts.get("hello", 0) - before == 20


def test_the_real_firmware_reads_the_knob_and_the_button(board):
    do, controls = board
    do("knob 512")
    assert next_event(controls, "knob") is not None   # sent as it moves (smoothed, 12-count deadband)
    time.sleep(1.0)                                    # the smoothing settles inside the deadband
    while controls.poll(0.1):
        pass
    controls._send("KNOB?")                            # asked, it says where the knob is now
    event = next_event(controls, "knob")
    assert event is not None and abs(event.value * 1023 - 512) <= 1, event
    do("btn 1")
    time.sleep(0.3)
    do("btn 0")
    assert next_event(controls, "press") == ControlEvent("press")
