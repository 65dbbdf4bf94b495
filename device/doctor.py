"""`narrator doctor`: check each part of the device and say in plain words what is wrong."""
from __future__ import annotations

import shutil
import time
from pathlib import Path


def run_checks(config):
    """Yield (ok, what, detail) for config, models, captioners, camera, printer, serial, disk."""
    yield True, "config", "valid"
    from models.captioners import NAMES, get_captioner, which_captioner
    from models.writer import Writer
    for v in config.voices:
        t0 = time.monotonic()
        try:
            voice = Writer.load(v.model or None)
            guard = "originality index present" if voice.index else "NO originality index (copying unchecked)"
            yield True, f"voice {v.name!r}", f"{voice.name} loaded in {time.monotonic() - t0:.2f} s; {guard}"
        except Exception as e:
            yield False, f"voice {v.name!r}", f"{e} -- fix voices.model in the config or retrain/export the model"
        try:
            chosen, why = which_captioner(v.captioner)
            options = {k: getattr(config.hf, k) for k in ("model", "prompt")} if chosen == "hf" else {}
            get_captioner(chosen, **options)
            yield chosen == v.captioner, f"captioner {v.captioner!r}", (
                f"{chosen!r} will run: " + ("ready" if chosen == v.captioner else why))
        except Exception as e:
            yield False, f"captioner {v.captioner!r}", f"{e} (known: {', '.join(NAMES)})"
    from device.camera import open_camera
    try:
        cam = open_camera(config.camera)
        try:
            rgb = cam.frame()
            yield True, "camera", f"{cam.describe()}: got a {rgb.shape[1]}x{rgb.shape[0]} frame"
        finally:
            cam.close()
    except Exception as e:
        yield False, "camera", f"{e}"
    from device.printer import open_printer
    printer = open_printer(config.printer)
    ok, why = printer.status()
    yield ok, "printer", f"{printer.describe()}: " + ("ready" if ok else why)
    printer.close()
    try:
        from serial.tools import list_ports
        ports = [f"{p.device} ({p.vid:04x}:{p.pid:04x} {p.description})" if p.vid else p.device
                 for p in list_ports.comports()]
        yield True, "serial ports", ", ".join(ports) if ports else "none found (no Arduino or serial printer plugged in)"
    except Exception as e:
        yield False, "serial ports", f"cannot list serial ports: {e}"
    archive = Path(config.archive_dir)   # doctor only reads: it creates nothing, not even this folder
    from device.statelock import holder
    pid = holder(archive) if archive.is_dir() else None   # so it runs beside the daemon and says so
    yield from _controls_check(config.controls, pid)
    if archive.is_dir():
        yield True, "daemon", f"running on this archive (PID {pid})" if pid else "not running on this archive"
        yield from _archive_checks(archive)
    else:
        yield True, "archive", f"{archive} does not exist yet: `narrator run` creates it"
    existing = next(p for p in (archive, *archive.parents) if p.exists())
    free = shutil.disk_usage(existing).free / 2**20
    yield free > 500, "disk", f"{free:,.0f} MiB free for the archive in {archive}" + (
        "" if free > 500 else ": free some space, or the archive will fill the disk")


def _controls_check(cfg, daemon_pid):
    """Whether the Arduino box answers HELLO, when the controls are serial. Not while the daemon
    runs: opening the port would reboot the board under it."""
    import os
    backend = cfg.backend or os.environ.get("NARRATOR_CONTROLS", "")
    if backend != "serial":
        return
    if daemon_pid:
        yield True, "controls box", f"not asked: the daemon (PID {daemon_pid}) holds its port"
        return
    from device.controls.serial_box import SerialControls
    box = SerialControls(cfg.port, cfg.baudrate, cfg.reset_wait_s, hello_timeout_s=3.0)
    try:
        answered = box.connected.wait(cfg.reset_wait_s + 4.0)
        if answered:
            yield True, "controls box", f"answered HELLO (firmware {box.firmware}) on {cfg.port}"
        else:
            yield False, "controls box", (f"no answer on {cfg.port}: {box.last_error or 'no HELLO'} -- check the "
                                          "USB cable and that the firmware is flashed (hardware/README.md)")
    finally:
        box.close()


def _archive_checks(root: Path):
    """What the archive says about recent trouble: receipts waiting to print, failed jobs."""
    from device.archive import Archive
    from device.job import UNPRINTED, Status
    archive = Archive(root)
    waiting, failed = [], []
    for job in archive.jobs()[-500:]:
        try:
            record = archive.read_json(job)
        except (OSError, ValueError) as e:
            failed.append(f"{job}: unreadable job.json ({e})")
            continue
        if record.get("status") in UNPRINTED:
            waiting.append(job)
        elif record.get("status") == Status.FAILED:
            failed.append(f"{job}: {record.get('error', '?')}")
    why = ""
    if waiting:
        try:
            why = archive.read_json(waiting[-1]).get("spooled_because", "")
        except (OSError, ValueError):
            pass
    yield not waiting, "spool", (f"{len(waiting)} receipt(s) waiting for the printer (oldest {waiting[0]})"
                                 + (f"; latest reason: {why}" if why else "") +
                                 "; they print when `narrator run` finds the printer ready" if waiting else "nothing waiting")
    if failed:
        yield True, "recent failures", f"{len(failed)} of the last {min(500, len(archive.jobs()))} jobs; latest: {failed[-1]}"
