"""The daemon: owns the device's state and turns presses into printed poems.

    daemon = Daemon.from_config(load_config(path))
    daemon.run()            # until the controls say quit, or stop() (SIGTERM)

Models are loaded once at start and kept warm. Jobs run one at a time on a worker thread so
the loop keeps reading the controls: a press during a job is acknowledged and queued, at most
one job waits, and further presses are logged and dropped. A long press reprints the last
receipt. The knob picks the voice.

Under systemd it reports READY=1 once the models are loaded, STATUS= on every change, and pings
the watchdog from the main loop, but only while no job has been stuck for longer than
job_timeout_s, so a hung job gets the service restarted.
"""
from __future__ import annotations

import logging
import queue
import threading
import time

from .archive import Archive
from .camera import Camera, open_camera
from .config import Config, load_config
from .controls import Controls, open_controls
from .job import Status, last_printed
from .pipeline import JobResult, Pipeline
from .printer import Printer, open_printer
from .printer.base import PAPER_OUT
from .receipt import Paper
from .sdnotify import Notifier
from .spool import Spool
from .voices import Voice, VoiceSelector, load_voices

log = logging.getLogger(__name__)


class Daemon:
    def __init__(self, config: Config, camera: Camera, controls: Controls, printer: Printer,
                 voices: list[Voice], archive: Archive, notifier: Notifier | None = None,
                 job_timeout_s: float = 120.0):
        self.config, self.camera, self.controls, self.printer = config, camera, controls, printer
        self.voices, self.archive = voices, archive
        paper = Paper.from_config(config.printer)
        self.spool = Spool(printer, archive, config.spool_max_jobs, on_fault=self.on_printer_fault)
        self.pipeline = Pipeline(camera, self.spool, archive, paper, config.installation)
        self.selector = VoiceSelector(len(voices), config.knob_hysteresis)
        self.jobs: queue.Queue = queue.Queue()
        self.pending = 0                 # jobs queued or running
        self.dropped, self._dropped_logged = 0, -1.0   # presses dropped since the last log line
        self.results: list[JobResult] = []
        self.lock = threading.Lock()
        self.idle = threading.Event()
        self.idle.set()
        self.notifier = notifier or Notifier()
        self.job_timeout_s = job_timeout_s
        self.stop_deadline_s = 20.0      # SIGTERM: finish (or leave archived) within this
        self.job_started: float | None = None
        self._reloader: threading.Thread | None = None   # the reload thread while one runs
        self._reload_wanted = False                      # a SIGHUP came: (re)load once more
        self.stopping = threading.Event()                # SIGTERM: leave the loop
        self.reload_asked = threading.Event()           # SIGHUP: reload from the loop

    @classmethod
    def from_config(cls, config: Config, controls: str | None = None) -> "Daemon":
        """The device a config describes; `controls` names a controls backend over the config's
        (snap has no button: "none")."""
        t0 = time.monotonic()
        voices = load_voices(config)
        log.info("loaded %d voice(s) in %.2f s: %s", len(voices), time.monotonic() - t0,
                 ", ".join(v.name for v in voices))
        return cls(config, open_camera(config.camera), open_controls(config.controls, controls),
                   open_printer(config.printer), voices, Archive(config.archive_dir))

    def snap(self, frame=None) -> JobResult:
        """One job now, without the button or the loop (`narrator snap`): the photo (or the
        given frame), caption, poem and receipt; then the devices are closed."""
        try:
            return self.pipeline.run(self.voice, frame=frame)
        finally:
            self.close()

    @property
    def voice(self) -> Voice:
        return self.voices[self.selector.index]

    def on_press(self, long: bool = False) -> bool:
        """Queue a job (or a reprint). Returns False when the press was dropped."""
        with self.lock:
            if self.pending >= 2:
                self.dropped += 1   # a flood of presses is counted, and logged once a second at most
                now = time.monotonic()
                if now - self._dropped_logged >= 1.0:
                    log.info("press ignored: a job is running and another is already waiting (%d dropped since "
                             "the last note)", self.dropped)
                    self.dropped, self._dropped_logged = 0, now
                return False
            if self.pending == 1:
                log.info("press acknowledged: the job will start when this one is done")
            self.pending += 1
            self.idle.clear()
        self.set_status("busy", f"busy: {self.pending - 1} waiting")
        self.jobs.put(("reprint", None) if long else ("job", self.selector.index))
        return True

    def on_knob(self, position: float) -> None:
        """The board's knob (main loop) and the console's (its own thread) both turn it."""
        with self.lock:
            before = self.selector.index
            changed = self.selector.update(position) != before
        if changed:
            log.info("voice: %s", self.voice.name)

    def on_printer_fault(self, fault: str) -> None:
        if fault:
            self.set_status("paper-out" if fault.startswith(PAPER_OUT) else "error",
                            f"printer: {fault}; {len(self.spool.queue)} job(s) spooled")
        elif self.pending == 0:
            self.set_status("idle", "printer ready")

    def set_status(self, status: str, text: str) -> None:
        """One place for the state every watcher sees: the box's LED and systemd's STATUS."""
        self.controls.set_status(status)
        self.notifier.status(text)

    def _worker(self) -> None:
        while True:
            kind, voice_index = self.jobs.get()
            if kind == "stop":
                return
            self.job_started = time.monotonic()
            try:
                if kind == "reprint":
                    last = last_printed(self.archive)
                    result = self.pipeline.reprint(last) if last else JobResult("", Status.FAILED, error="nothing to reprint")
                elif kind == "finish":
                    result = self.pipeline.finish(voice_index, self.voice_of(voice_index))
                else:
                    result = self.pipeline.run(self.voices[voice_index])
            except Exception as e:  # a job must never take the daemon down
                log.exception("job crashed")
                result = JobResult("", Status.FAILED, error=str(e))
            self.job_started = None
            self.results.append(result)
            with self.lock:
                self.pending -= 1
                done = self.pending == 0
            if result.status == Status.FAILED:
                self.set_status("error", f"error: job {result.job_id or '?'} failed: {result.error}")
            elif self.spool.fault:
                self.on_printer_fault(self.spool.fault)
            else:
                self.set_status("idle" if done else "busy", f"{result.status} {result.job_id}" + ("" if done else "; next job running"))
            if done:
                self.idle.set()

    def voice_of(self, job: str) -> Voice:
        """The voice a job was started with (by name), so a recovered job ends as it began;
        the current voice if that one is gone from the config."""
        try:
            name = self.archive.read_json(job).get("voice")
        except (OSError, ValueError):
            name = None
        return next((v for v in self.voices if v.name == name), self.voice)

    def recover(self) -> None:
        """Queue what a crash or power cut left behind: unprinted receipts go to the spool,
        unfinished jobs are finished from their saved photo before any new press."""
        for job in self.spool.recover():
            with self.lock:
                self.pending += 1
                self.idle.clear()
            self.jobs.put(("finish", job))

    def run(self) -> None:
        worker = threading.Thread(target=self._worker, name="jobs", daemon=True)
        self.recover()
        self.spool.start()
        worker.start()
        log.info("ready: camera %s, printer %s, controls %s, voice %s", self.camera.describe(),
                 self.printer.describe(), self.controls.describe(), self.voice.name)
        self.notifier.ready(f"ready: voice {self.voice.name}")
        tick = min(0.5, self.notifier.watchdog_interval or 0.5)
        try:
            while True:
                if self.job_started is None or time.monotonic() - self.job_started < self.job_timeout_s:
                    self.notifier.watchdog()
                if self.stopping.is_set():
                    break
                if self.reload_asked.is_set():
                    self.reload_asked.clear()
                    self.reload_in_background()
                event = self.controls.poll(timeout=tick)
                if event is None:
                    continue
                if event.kind == "press":
                    self.on_press()
                elif event.kind == "long_press":
                    self.on_press(long=True)
                elif event.kind == "knob":
                    self.on_knob(event.value)
                elif event.kind == "quit":
                    break
        finally:
            self.notifier.stopping()
            if not self.idle.wait(self.stop_deadline_s):
                log.warning("stopping with a job still running after %.0f s: it is archived and will "
                            "be finished or printed at the next start", self.stop_deadline_s)
            self.jobs.put(("stop", None))
            worker.join(timeout=1)
            self.spool.stop()
            try:   # what the last job spooled prints now if the printer is ready, not at the next start
                self.spool.pump()
                self.spool.record_pending()
            except Exception:
                log.exception("final spool pump failed")
            self.close()

    def handle_signals(self, config_path: str | None, overrides: dict | None = None,
                       early: list[str] | None = None) -> None:
        """SIGTERM: stop after finishing (or archiving) the current job. SIGHUP: reload the
        config file; a bad one keeps the running config and says why. `early`: signals that
        came while the daemon was starting (see early_signals), acted on now."""
        import signal

        self.config_path, self.config_overrides = config_path, overrides
        signal.signal(signal.SIGTERM, lambda *_: self.stop())
        signal.signal(signal.SIGHUP, lambda *_: self.reload_asked.set())
        for kind in early or []:
            (self.stop if kind == "quit" else self.reload_asked.set)()

    def stop(self) -> None:
        """Leave the main loop at its next tick (SIGTERM, the soak): the running job is
        finished or archived first. Signals do not travel through the controls' queue."""
        self.stopping.set()

    def reload_in_background(self) -> None:
        """Reload on its own thread: loading models and waiting for the running job take time,
        and the main loop must keep feeding the watchdog meanwhile. A SIGHUP during a reload
        is not lost: that reload runs once more when it is done."""
        with self.lock:
            self._reload_wanted = True
            if self._reloader is not None:   # running: it will see the wish
                return
            self._reloader = threading.Thread(target=self._reload_while_wanted, name="reload", daemon=True)
            self._reloader.start()

    def _reload_while_wanted(self) -> None:
        while True:
            with self.lock:
                if not self._reload_wanted:
                    self._reloader = None
                    return
                self._reload_wanted = False
            self.reload()

    def reload(self, deadline_s: float = 120.0) -> None:
        path = getattr(self, "config_path", None)
        try:
            new = load_config(path, getattr(self, "config_overrides", None))
            voices = load_voices(new) if new.voices != self.config.voices else self.voices
        except Exception as e:
            log.error("config reload failed, keeping the running config: %s", e)
            self.notifier.status(f"config reload failed (still running the old one): {e}")
            return
        for part in ("camera", "controls", "printer", "archive_dir"):
            if getattr(new, part) != getattr(self.config, part):
                log.warning("config: %s changed; that takes effect at the next restart", part)
        if not self.idle.wait(deadline_s):   # swap voices between jobs, never inside one
            log.error("config reload abandoned: a job was still running after %.0f s", deadline_s)
            self.notifier.status("config reload abandoned (a job kept running); send SIGHUP again")
            return
        self.voices, self.selector = voices, VoiceSelector(len(voices), new.knob_hysteresis, min(self.selector.index, len(voices) - 1))
        self.pipeline.installation = new.installation
        self.pipeline.paper = Paper.from_config(new.printer)   # layout changes apply now; the connection at restart
        self.spool.max_jobs = new.spool_max_jobs
        self.config = new
        log.info("config reloaded from %s", path or "defaults")
        self.notifier.status(f"config reloaded; voice {self.voice.name}")

    def close(self) -> None:
        for part in (self.camera, self.controls, self.printer):
            part.close()
