"""The Arduino controls box over serial (protocol: hardware/PROTOCOL.md).

    controls = SerialControls("auto")       # find the board by USB id, or give a path
    controls.poll(0.5)                      # ControlEvent("press" | "long_press" | "knob")
    controls.set_status("busy")             # LED BUSY on the box

A reader thread owns the port: it opens it, waits out the board's reset (opening an Uno's
port pulses DTR and reboots it), checks the HELLO handshake, turns lines into events, and when
the cable is pulled (pyserial raises SerialException or OSError) closes the port and tries
again with back-off until the board is back. Garbage, unknown and overlong lines are counted
and logged, never fatal.
"""
from __future__ import annotations

import logging
import threading
import time

import serial
from serial.tools import list_ports

from ..errors import DeviceError
from ..loglimit import Throttle
from .base import ControlEvent, Controls

log = logging.getLogger(__name__)

PROTOCOL_VERSION = 1
MAX_LINE = 32
# USB ids of boards that carry the controls firmware: Arduino, and the common clone chips
KNOWN_BOARDS = {(0x2341, None), (0x2A03, None), (0x1A86, 0x7523), (0x0403, 0x6001), (0x10C4, 0xEA60)}
LED_WORDS = {"idle": "IDLE", "busy": "BUSY", "error": "ERROR", "paper-out": "PAPER"}


class ControlsNotFound(DeviceError, RuntimeError):
    pass


def find_board() -> str:
    """The serial path of the first port whose USB vendor/product looks like our board."""
    for p in list_ports.comports():
        if p.vid is not None and any(p.vid == v and (pid is None or p.pid == pid) for v, pid in KNOWN_BOARDS):
            return p.device
    raise ControlsNotFound("no controls box found on USB (Arduino or CH340/FTDI/CP210x serial); "
                           "plug it in, or set controls.port to its path")


def parse_line(line: bytes) -> tuple[ControlEvent | None, str]:
    """One line from the board -> (event or None, what it was). Never raises."""
    if len(line) > MAX_LINE:
        return None, "overlong"
    try:
        text = line.decode("ascii").strip()
    except UnicodeDecodeError:
        return None, "garbage"
    if not text or not text.isprintable():
        return None, "garbage" if text else "empty"
    words = text.split()
    if words == ["PRESS"]:
        return ControlEvent("press"), "event"
    if words == ["LONG"]:
        return ControlEvent("long_press"), "event"
    if len(words) == 2 and words[0] == "KNOB" and words[1].isdigit() and int(words[1]) <= 1023:
        return ControlEvent("knob", int(words[1]) / 1023), "event"
    if words[0] in ("HELLO", "PONG", "OK", "ERR"):
        return None, words[0].lower()
    return None, "unknown"


class SerialControls(Controls):
    name = "serial"

    def __init__(self, port: str = "auto", baudrate: int = 115200, reset_wait_s: float = 2.0,
                 hello_timeout_s: float = 3.0, backoff_max_s: float = 5.0):
        super().__init__()
        self.port_setting, self.baudrate = port, baudrate
        self.reset_wait_s, self.hello_timeout_s, self.backoff_max_s = reset_wait_s, hello_timeout_s, backoff_max_s
        self.counts: dict[str, int] = {}
        self.throttle = Throttle(log)          # line noise: one warning, then a count every 30 s
        self.connected = threading.Event()
        self.sessions = 0                  # successful handshakes: 2 or more means it reconnected
        self.firmware = ""
        self.last_error = ""
        self._serial: serial.Serial | None = None
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="serial-controls", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            try:
                self._session()
                backoff = 0.2
            except (serial.SerialException, OSError, ControlsNotFound, TimeoutError) as e:
                self.last_error = str(e)
                log.warning("controls box: %s; retrying in %.1f s", e, backoff)
            finally:
                self.connected.clear()
                self._close_port()
            self._stop.wait(backoff)
            backoff = min(self.backoff_max_s, backoff * 2)

    def _session(self) -> None:
        path = find_board() if self.port_setting == "auto" else self.port_setting
        s = serial.Serial(path, self.baudrate, timeout=0.2)
        self._serial = s
        self._stop.wait(self.reset_wait_s)       # the board reboots when the port opens
        s.reset_input_buffer()
        self._send("HELLO")
        deadline = time.monotonic() + self.hello_timeout_s
        buf = bytearray()
        while not self.connected.is_set():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{path}: no HELLO from the controls box (wrong port, or old firmware?)")
            for line in self._lines(s, buf):
                if line.startswith(b"HELLO narrator-controls"):
                    parts = line.decode("ascii", "replace").split()
                    if len(parts) >= 3 and parts[2] != str(PROTOCOL_VERSION):
                        raise ControlsNotFound(f"{path}: protocol version {parts[2]}, host speaks {PROTOCOL_VERSION}")
                    self.firmware = parts[3] if len(parts) > 3 else "?"
                    self.sessions += 1
                    self.connected.set()
        log.info("controls box on %s, firmware %s", path, self.firmware)
        self._send(f"LED {LED_WORDS[self.status]}")
        while not self._stop.is_set():
            for line in self._lines(s, buf):
                event, kind = parse_line(line)
                self.counts[kind] = self.counts.get(kind, 0) + 1
                if event:
                    self.events.put(event)
                elif kind in ("garbage", "overlong", "unknown", "err"):
                    self.throttle.warning(kind, "controls box sent %s line: %r", kind, line[:40])

    def _lines(self, s: serial.Serial, buf: bytearray):
        """Complete lines read so far; an overlong run without a newline is cut and reported."""
        buf += s.read(max(1, s.in_waiting))
        while b"\n" in buf:
            line, _, rest = bytes(buf).partition(b"\n")
            buf[:] = rest
            yield line.rstrip(b"\r")
        if len(buf) > 4 * MAX_LINE:
            buf.clear()
            yield b"x" * (MAX_LINE + 1)

    def _send(self, line: str) -> None:
        with self._write_lock:
            if self._serial is not None:
                self._serial.write(line.encode("ascii") + b"\n")

    def _show_status(self, status: str) -> None:
        try:
            if self.connected.is_set():
                self._send(f"LED {LED_WORDS[status]}")
        except (serial.SerialException, OSError) as e:
            log.warning("controls box: could not set the LED: %s", e)

    def _close_port(self) -> None:
        with self._write_lock:
            if self._serial is not None:
                try:
                    self._serial.close()
                except Exception:
                    pass
                self._serial = None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._close_port()

    def describe(self) -> str:
        state = f"connected, firmware {self.firmware}" if self.connected.is_set() else f"not connected ({self.last_error or 'starting'})"
        return f"serial {self.port_setting} @ {self.baudrate}: {state}"
