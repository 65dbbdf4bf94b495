"""The controls box: the firmware's own protocol logic (compiled for this machine as a virtual
board) and the host's SerialControls, talking over a real pty; reconnecting after a pull."""
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from device.controls import ControlEvent
from device.controls.serial_box import MAX_LINE, SerialControls, parse_line
from device.controls.sim import PtyCable

FIRMWARE = Path(__file__).parents[1] / "hardware" / "firmware"


@pytest.mark.parametrize("line,event,kind", [
    (b"PRESS", ControlEvent("press"), "event"),
    (b"LONG\r", ControlEvent("long_press"), "event"),
    (b"KNOB 1023", ControlEvent("knob", 1.0), "event"),
    (b"KNOB 0", ControlEvent("knob", 0.0), "event"),
    (b"KNOB 5000", None, "unknown"),
    (b"KNOB -3", None, "unknown"),
    (b"\xff\xfe\x00", None, "garbage"),
    (b"PR\x07ESS", None, "garbage"),
    (b"A" * (MAX_LINE + 1), None, "overlong"),
    (b"ERR unknown", None, "err"),
    (b"", None, "empty"),
])
def test_parse_line_never_raises(line, event, kind):
    assert parse_line(line.rstrip(b"\r")) == (event, kind)


@pytest.fixture(scope="module")
def host_board(tmp_path_factory):
    if not shutil.which("cc"):
        pytest.skip("no C compiler to build the virtual board")
    build = tmp_path_factory.mktemp("fw")
    subprocess.run(["make", "-C", str(FIRMWARE), f"BUILD={build}", f"{build}/host_board"], check=True,
                   capture_output=True)
    return build / "host_board"


class Board:
    """The compiled firmware running on the board's end of a PtyCable (the same cable the
    simulated box uses); `cable.link` is the host's end."""

    def __init__(self, exe: Path, link: Path):
        self.cable = PtyCable(link)
        self.master = self.cable.master
        self.proc = subprocess.Popen([str(exe), f"fd:{self.master}"], pass_fds=(self.master,),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def do(self, command: str) -> str:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        if command.startswith(("wait", "led", "level")):
            return self.proc.stdout.readline().strip()
        return ""

    def unplug(self):
        self.proc.stdin.write("quit\n")
        self.proc.stdin.flush()
        self.proc.wait(5)
        self.cable.close()


def next_event(controls, timeout=5.0, skip_knob=False):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        e = controls.poll(0.1)
        if e and not (skip_knob and e.kind == "knob"):
            return e
    return None


def wait_for(cond, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not cond():
        time.sleep(0.02)
    return cond()


@pytest.fixture
def rig(host_board, tmp_path):
    link = tmp_path / "narrator-controls"
    board = Board(host_board, link)
    controls = SerialControls(str(link), reset_wait_s=0.05, hello_timeout_s=2)
    assert controls.connected.wait(5), controls.last_error
    yield board, controls, link
    controls.close()
    if board.proc.poll() is None:
        board.unplug()


def test_handshake_press_long_press_and_knob(rig):
    board, controls, _ = rig
    assert controls.firmware == "1.0.0"
    board.do("knob 512")
    board.do("wait 20")
    assert next_event(controls) == ControlEvent("knob", 512 / 1023)
    board.do("btn 1")
    board.do("wait 10")
    board.do("btn 0")        # a 10 ms bounce: not a press
    board.do("wait 50")
    board.do("btn 1")
    board.do("wait 200")
    board.do("btn 0")
    board.do("wait 50")
    assert next_event(controls) == ControlEvent("press")
    board.do("btn 1")
    board.do("wait 1200")    # held: LONG while still held, and no PRESS on release
    assert next_event(controls) == ControlEvent("long_press")
    board.do("btn 0")
    board.do("wait 50")
    assert next_event(controls, timeout=0.5) is None


def settle_knob(board, controls, raw: int, ms: int) -> None:
    """Turn the knob to raw, let the smoothing settle, and drop the events it sent on the way."""
    board.do(f"knob {raw}")
    board.do(f"wait {ms}")
    while controls.poll(0.2):
        pass


def test_knob_noise_inside_the_deadband_sends_nothing(rig):
    board, controls, _ = rig
    settle_knob(board, controls, 600, 300)
    for raw in (603, 597, 605, 598, 604):
        board.do(f"knob {raw}")
        board.do("wait 30")
    assert next_event(controls, timeout=0.5) is None
    board.do("knob 1023")
    board.do("wait 800")     # the smoothing settles within ~0.6 s
    events = []
    while (e := controls.poll(0.3)):
        events.append(e)
    assert events and events[-1] == ControlEvent("knob", 1.0)   # the end of travel is reachable


def test_led_commands_reach_the_board(rig):
    board, controls, _ = rig
    controls.set_status("busy")
    assert wait_for(lambda: board.do("led") == "led busy")
    controls.set_status("paper-out")
    assert wait_for(lambda: board.do("led") == "led paper")


def test_garbage_both_ways_is_survived(rig):
    board, controls, _ = rig
    os.write(board.master, b"\xff\xfe\x01garbage\nKNOB 99999\n" + b"Z" * 200 + b"\nHUH\n")
    controls._send("DANCE")                 # unknown to the board: it answers ERR
    controls._send("\x7f\x01")              # not printable: ERR garbage
    controls._send("L" * 100)               # overlong: ERR overlong
    board.do("btn 1")
    board.do("wait 100")
    board.do("btn 0")
    board.do("wait 50")
    assert next_event(controls, skip_knob=True) == ControlEvent("press")
    assert wait_for(lambda: controls.counts.get("err", 0) >= 3)
    assert controls.counts.get("garbage", 0) >= 1 and controls.counts.get("overlong", 0) >= 1
    assert controls.counts.get("unknown", 0) >= 2
    assert controls.connected.is_set()


def test_reconnects_after_the_cable_is_pulled(rig, host_board):
    board, controls, link = rig
    board.unplug()
    assert wait_for(lambda: not controls.connected.is_set())
    time.sleep(0.3)
    board2 = Board(host_board, link)        # plugged back: a new device node behind the same name
    try:
        assert controls.connected.wait(10), controls.last_error
        board2.do("btn 1")
        board2.do("wait 100")
        board2.do("btn 0")
        board2.do("wait 50")
        assert next_event(controls, skip_knob=True) == ControlEvent("press")
    finally:
        board2.unplug()


def test_knob_query_answers_the_current_reading_not_the_last_one_sent(rig):
    board, controls, _ = rig
    settle_knob(board, controls, 600, 800)
    board.do("knob 607")          # inside the deadband: nothing is sent...
    board.do("wait 800")
    assert next_event(controls, timeout=0.5) is None
    controls._send("KNOB?")       # ...but asked, the board says where the knob is now
    assert next_event(controls) == ControlEvent("knob", 607 / 1023)


def test_the_idle_light_breathes_on_pwm(rig):
    board, _, _ = rig
    assert board.do("led") == "led idle"
    levels = []
    for _ in range(12):           # one 3 s breath in 250 ms steps
        board.do("wait 250")
        levels.append(int(board.do("level").split()[1]))
    assert min(levels) <= 10 and max(levels) >= 240 and len(set(levels)) >= 6, levels   # a fade, not a blink
