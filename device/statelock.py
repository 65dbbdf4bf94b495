"""One daemon per state directory: an exclusive lock on ARCHIVE/.narrator.lock.

    with StateLock(config.archive_dir):      # StateLocked naming the holder's PID if taken
        daemon.run()

Two processes on one archive would both recover the same unfinished job and print it twice,
and fight over the printer. flock(2) is released by the kernel when the holder dies, even on
SIGKILL, so a crash never leaves a stale lock behind; the PID written inside is only for the
message.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from .errors import DeviceError

NAME = ".narrator.lock"


class StateLocked(DeviceError, RuntimeError):
    """Another narrator process holds this state directory."""


def holder(root: str | Path) -> int | None:
    """The PID of the process holding the lock on `root`, or None when nobody holds it."""
    path = Path(root) / NAME
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    except BlockingIOError:
        text = path.read_text().strip()
        return int(text) if text.isdigit() else -1
    finally:
        os.close(fd)


class StateLock:
    def __init__(self, root: str | Path, what: str = "narrator"):
        self.path = Path(root) / NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            self.fd = -1
            pid = holder(self.path.parent)
            raise StateLocked(f"another narrator process (PID {pid}) is using {self.path.parent}: "
                              f"stop it first (systemctl stop narrator), or give {what} another archive_dir") from None
        os.ftruncate(self.fd, 0)
        os.write(self.fd, f"{os.getpid()}\n".encode())

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)   # closing the descriptor releases the lock
            self.fd = -1

    def __enter__(self) -> "StateLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()
