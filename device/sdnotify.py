"""systemd's notify protocol, in a few lines: READY=1, STATUS=..., WATCHDOG=1, STOPPING=1.

Each message is one datagram to the socket named by $NOTIFY_SOCKET (a leading '@' means an
abstract socket). Outside systemd there is no socket and every call is a no-op. Sends never
block, and errors are logged, never raised: the device must keep working if systemd goes away.
"""
from __future__ import annotations

import logging
import os
import socket
import time

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, environ=None):
        env = os.environ if environ is None else environ
        addr = env.get("NOTIFY_SOCKET", "")
        self.address = "\0" + addr[1:] if addr.startswith("@") else addr
        usec = int(env.get("WATCHDOG_USEC", "0") or 0)
        # ping at half the watchdog period, as sd_watchdog_enabled(3) advises
        self.watchdog_interval = usec / 2e6 if usec > 0 else None
        self._last_ping = 0.0
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) if self.address else None
        if self._sock:
            self._sock.setblocking(False)  # a stalled reader must never stall the device

    @property
    def enabled(self) -> bool:
        return self._sock is not None

    def send(self, message: str) -> bool:
        if not self._sock:
            return False
        try:
            self._sock.sendto(message.encode(), self.address)
            return True
        except OSError as e:
            log.warning("systemd notify failed: %s", e)
            return False

    def ready(self, status: str = "") -> None:
        self.send("READY=1" + (f"\nSTATUS={status}" if status else ""))

    def status(self, text: str) -> None:
        self.send(f"STATUS={text}")

    def watchdog(self) -> None:
        """Ping the watchdog if half its period has passed; call it from the main loop."""
        if self.watchdog_interval and time.monotonic() - self._last_ping >= self.watchdog_interval:
            self._last_ping = time.monotonic()
            self.send("WATCHDOG=1")

    def stopping(self) -> None:
        self.send("STOPPING=1")
