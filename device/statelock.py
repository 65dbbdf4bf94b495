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
import stat
from pathlib import Path

from .archive import quarantine
from .errors import DeviceError

NAME = ".narrator.lock"


class StateLocked(DeviceError, RuntimeError):
    """Another narrator process holds this state directory."""


def _open_lock(path: Path, flags: int) -> int:
    """Open the lock file itself, never what a symlink points at (its target would get our
    PID); a symlink, folder or other non-file in its place is moved aside and replaced."""
    for attempt in (1, 2):
        try:
            fd = os.open(path, flags | os.O_NOFOLLOW, 0o644)
        except (IsADirectoryError, OSError) as e:
            if attempt == 2 or not (path.is_symlink() or path.exists()) or isinstance(e, FileNotFoundError):
                raise StateLocked(f"cannot open the lock file {path}: {e}") from None
            quarantine(path, "not a plain file" if not path.is_symlink() else "a symlink")
            continue
        if stat.S_ISREG(os.fstat(fd).st_mode):
            return fd
        os.close(fd)
        if attempt == 2:
            break
        quarantine(path, "not a plain file")
    raise StateLocked(f"the lock file {path} is not a plain file and could not be replaced: remove it by hand")


def holder(root: str | Path) -> int | None:
    """The PID of the process holding the lock on `root`, or None when nobody holds it."""
    path = Path(root) / NAME
    if not path.is_file() or path.is_symlink():
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    except BlockingIOError:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        return int(text) if text.isdigit() else -1
    finally:
        os.close(fd)


class StateLock:
    def __init__(self, root: str | Path, what: str = "narrator"):
        self.path = Path(root) / NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = _open_lock(self.path, os.O_RDWR | os.O_CREAT)
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
