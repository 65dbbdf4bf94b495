"""Rate-limited warnings: a fault that repeats (serial noise, a dead camera) is logged once,
then at most once per interval with a count, so a week of noise cannot fill the journal."""
from __future__ import annotations

import logging
import time


class Throttle:
    def __init__(self, logger: logging.Logger, interval_s: float = 30.0):
        self.log, self.interval_s = logger, interval_s
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def warning(self, key: str, msg: str, *args) -> None:
        """Log now if `key` was quiet for interval_s, else count it for the next line."""
        now = time.monotonic()
        if now - self._last.get(key, -self.interval_s) < self.interval_s:
            self._held[key] = self._held.get(key, 0) + 1
            return
        held = self._held.pop(key, 0)
        self._last[key] = now
        self.log.warning(msg + (f" (and {held} more like it in the last {self.interval_s:.0f} s)" if held else ""), *args)
