"""`narrator doctor`: check each part of the device and say in plain words what is wrong."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import warnings
from contextlib import contextmanager
from pathlib import Path


UNSURE = None   # a check that could not tell: neither "ok" nor a problem


@contextmanager
def library_noise():
    """Hold what libraries write to stderr (OpenCV's C++ warnings, python-escpos's log lines,
    Python warnings) while the checks run, so the report is only doctor's own lines; the
    caller gets the lines to summarise."""
    held: list[str] = []
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        os.dup2(sink.fileno(), 2)
        try:
            yield held
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            held.extend(line for line in sink.read().decode("utf-8", "replace").splitlines() if line.strip())
            held.extend(f"{w.category.__name__}: {w.message}" for w in caught)


def run_checks(config):
    """Yield (ok, what, detail) for config, models, captioners, camera, printer, serial, disk;
    ok is True, False (a problem) or UNSURE. What libraries print meanwhile is summarised."""
    with library_noise() as held:
        yield from _checks(config)
    if held:
        yield True, "library messages", f"{len(held)} line(s) from libraries held back; the first: {held[0][:160]}"


def _checks(config):
    yield True, "config", "valid"
    from models.captioners import NAMES, get_captioner, which_captioner
    from models.writer import Writer
    head_dots = _head_dots(config)
    for v in config.voices:
        t0 = time.monotonic()
        try:
            voice = Writer.load(v.model or None)
            guard = "originality index present" if voice.index else "NO originality index (copying unchecked)"
            c = voice.model.config
            size = voice.path.stat().st_size / 1e6 if voice.path else 0
            yield True, f"voice {v.name!r}", (f"{voice.name}: {c.num_layers} x {c.rnn_size} LSTM, {size:.1f} MB, "
                                              f"loaded in {time.monotonic() - t0:.2f} s; {guard}; opens "
                                              f"{(v.seed_template or voice.seed_template)!r}")
            yield True, f"paper for {v.name!r}", _stanzas_printed(config, v, head_dots)
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
    if ok and not config.printer.query_status and hasattr(printer, "answers") and not printer.answers():
        yield UNSURE, "printer", (f"{printer.describe()}: the port opens, but nothing answered a status query "
                                  "(many cheap printers never answer: `narrator print-test` shows whether paper comes out)")
    else:
        yield ok, "printer", f"{printer.describe()}: " + ("ready" if ok else why)
    printer.close()
    try:
        from serial.tools import list_ports
        ports = list_ports.comports()
        usb = [f"{p.device} ({p.vid:04x}:{p.pid:04x} {p.description})" for p in ports if p.vid]
        bare = [p.device for p in ports if not p.vid]
        said = (", ".join(usb) if usb else "no USB serial device (no Arduino or serial printer plugged in)") + (
            f"; {', '.join(bare)}: built-in UART(s), nothing known to be attached" if bare else "")
        yield (True if usb else UNSURE), "serial ports", said
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


def _head_dots(config) -> int:
    """The height of a receipt's head with a photo, as the paper plan sees it."""
    from device.camera import generated_scene
    from device.printer.preview import decode, render
    from device.receipt import Paper, receipt_head
    paper = Paper.from_config(config.printer)
    head = receipt_head(paper, "2026-01-01 00:00:00", config.installation, generated_scene(0), "a caption of some words")
    return render(decode(head), paper.dots).height


def _stanzas_printed(config, v, head_dots: int) -> str:
    """How many of a voice's stanzas a receipt prints under the paper budget (receipt.plan):
    what the visitor will see, said before anyone presses."""
    from device.receipt import Paper, plan
    paper = Paper.from_config(config.printer)
    temps, length = plan(paper, v.temperatures, v.length, head_dots)
    if not paper.budget_cm:
        return f"no paper budget: all {len(temps)} stanzas of {length} characters print"
    return (f"a receipt prints {len(temps)} of {len(v.temperatures)} stanzas (temperatures "
            f"{', '.join(f'{t:g}' for t in temps)}) of about {length} characters within printer.budget_cm = "
            f"{paper.budget_cm:g} cm" + ("" if len(temps) == len(v.temperatures) else
                                         "; raise budget_cm or give fewer temperatures to print them all"))


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
