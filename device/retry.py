"""The spool's printer thread: waiting jobs are tried again for as long as they wait.

A printer that is off, unplugged or not taking data is tried again after retry_s, then twice
as long each time, at most BACKOFF_MAX_S (it is not fed the same receipt every few seconds),
and never given up on: an installation left alone overnight prints its queue in the morning.
A new job, a reprint, or the printer's device node coming back (plugged in again) tries at
once, so a replugged printer prints within a second or so, whatever the backoff.
"""
from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger(__name__)
BACKOFF_MAX_S = 60.0          # the longest wait between two tries of the waiting jobs
PLUG_POLL_S = 0.25            # how often a waiting spool looks whether the printer was plugged back in


class Retry:
    def __init__(self, spool):
        self.spool = spool
        self.wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="spool", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        spool, tries = self.spool, 0
        while not self._stop.is_set():
            if spool.unrecorded:
                spool.record_pending()
            wait = spool.retry_s
            if spool.queue:
                try:
                    tries = 0 if spool.pump() else tries + 1
                except Exception:  # the spool must outlive anything a printer driver throws
                    log.exception("spool pump failed")
                    tries += 1
                wait = min(BACKOFF_MAX_S, spool.retry_s * 2 ** min(tries, 16))
                if tries and wait >= BACKOFF_MAX_S and tries % 10 == 0:
                    log.error("spool: %d job(s) still waiting after %d tries (%s); trying every %.0f s",
                              len(spool.queue), tries, spool.fault or "printer not ready", wait)
            self._sleep(wait)

    def _sleep(self, seconds: float) -> None:
        """Wait, but wake for a new job or as soon as the printer's device comes back."""
        was = self.spool.printer.present()
        end = time.monotonic() + seconds
        while not self.wake.is_set() and (left := end - time.monotonic()) > 0:
            self.wake.wait(min(PLUG_POLL_S, left))
            now = self.spool.printer.present()
            if now and was is False:
                log.info("printer plugged back in")
                break
            was = now
        self.wake.clear()
