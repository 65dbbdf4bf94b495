"""`narrator`: the command line. The device commands live here, the model commands
(write, caption, eval, train, export) in models/cli.py.

    narrator run [--dev] [--config FILE]      the device (dev: simulated camera, printer, keyboard)
    narrator snap [--dev] [--image FILE]      one job now
    narrator print-test / narrator doctor / narrator soak --presses 1000

Building the parser imports nothing heavy; each command imports what it needs when it runs.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time


def _layers(args) -> dict | None:
    """The config layers the command line adds over the file: dev mode's (--dev), the console's."""
    from device.config import ConfigError, dev_layer
    images, webcam = getattr(args, "images", None), getattr(args, "webcam", False)
    layers: dict = {}
    if getattr(args, "dev", False):
        layers = dev_layer(args.out or "narrator-out", images or "", webcam)
    elif args.out or images or webcam:
        raise ConfigError("--out, --images and --webcam apply with --dev only; outside dev mode the "
                          "config's archive_dir, [printer] and [camera] say where things go")
    if getattr(args, "console", None):
        layers["console"] = {"listen": args.console}
    return layers or None


def _device_config(args):
    from device.config import load_config
    return load_config(args.config, _layers(args))


def early_signals() -> list[str]:
    """Until the daemon is up, SIGTERM and SIGHUP are only noted ("quit", "reload"): loading
    models takes seconds, and a SIGHUP's default action would kill the process."""
    import signal
    noted: list[str] = []
    signal.signal(signal.SIGTERM, lambda *_: noted.append("quit"))
    signal.signal(signal.SIGHUP, lambda *_: noted.append("reload"))
    return noted


def cmd_run(args) -> int:
    from device.console import serve_console
    from device.daemon import Daemon
    from device.statelock import StateLock
    noted = early_signals()
    config = _device_config(args)
    log = logging.getLogger("narrator")
    log.info("config: %s", config.summary())
    with StateLock(config.archive_dir, "this run"):   # one daemon per archive, taken before anything slow
        daemon = Daemon.from_config(config)
        daemon.handle_signals(args.config, _layers(args), early=noted)
        if args.dev:
            print("dev mode: Enter takes a photo; r + Enter reprints; 0-9 + Enter turns the knob; "
                  f"q + Enter quits. Receipts go to {config.printer.out_dir}", file=sys.stderr)
        with serve_console(daemon, config.console):   # nothing listens unless the console is on
            daemon.run()
    printed = sum(r.status == "printed" for r in daemon.results)
    print(f"{printed} of {len(daemon.results)} jobs printed", file=sys.stderr)
    return 0


def cmd_snap(args) -> int:
    from device.daemon import Daemon
    from device.statelock import StateLock
    from models.captioners import load_image
    config = _device_config(args)
    frame = load_image(args.image) if args.image else None
    # snap prints and writes the archive: with a daemon running, press its button instead
    with StateLock(config.archive_dir, "snap"):
        daemon = Daemon.from_config(config, controls="none")
        result = daemon.snap(frame)
    print(json.dumps({"job": result.job_id, "status": result.status, "caption": result.caption,
                      "error": result.error, "timings": result.timings,
                      "archive": str(daemon.archive.root / result.job_id)}, indent=2))
    if result.status == "spooled":
        print(f"the printer is not ready ({daemon.spool.fault or 'busy'}): the receipt is archived and "
              "will print at the next `narrator run`", file=sys.stderr)
    return 0 if result.status == "printed" else 1


def cmd_print_test(args) -> int:
    from device.printer import PrinterError, open_printer
    from device.receipt import Paper, print_test_receipt
    config = _device_config(args)
    paper = Paper.from_config(config.printer)
    printer = open_printer(config.printer)
    printer.begin(time.strftime("print-test-%Y%m%d-%H%M%S"))
    try:
        printer.send(print_test_receipt(paper, config.installation, printer.describe(), time.strftime("%Y-%m-%d %H:%M")))
        produced = printer.end()
        print(f"test receipt: {produced['png']} (its bytes: {produced['bin']})" if produced
              else f"test receipt sent to {printer.describe()}")
    except PrinterError as e:
        print(f"narrator print-test: {e}", file=sys.stderr)
        return 1
    finally:
        printer.close()
    return 0


def cmd_doctor(args) -> int:
    from device.doctor import run_checks
    problems = 0
    for ok, what, detail in run_checks(_device_config(args)):
        problems += ok is False
        print(f"{'ok     ' if ok else 'unsure ' if ok is None else 'PROBLEM'} {what}: {detail}", flush=True)
    print("all good" if not problems else f"{problems} problem(s): see the lines marked PROBLEM")
    return 0 if not problems else 1


def cmd_soak(args) -> int:
    import tempfile
    from pathlib import Path

    from device.soak import soak
    from models.writer import Writer
    writer = Writer.load(args.model)
    with tempfile.TemporaryDirectory() as tmp:   # the soak's archive is its own (never the service's), locked
        report = soak(writer, Path(args.out or tmp), args.presses, args.seed, args.length)
    print(report.table())
    accounted = sum(report.outcomes.values()) == report.presses
    print("every press accounted for" if accounted else "SOME PRESSES ARE UNACCOUNTED FOR")
    return 0 if accounted and not report.corrupt and not report.duplicated else 1


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed
    try:
        return installed("narrated-reality")
    except PackageNotFoundError:
        return "(not installed: run from a checkout)"


def build_parser() -> argparse.ArgumentParser:
    from models.arguments import existing_file, existing_folder, number
    from models.defaults import MAX_LENGTH
    p = argparse.ArgumentParser(prog="narrator", description="A narrated-reality camera: photo -> caption -> poem -> receipt.")
    p.add_argument("-v", "--verbose", action="store_true")
    p.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = p.add_subparsers(dest="command", required=True)
    from models.cli import add_commands
    add_commands(sub)

    def device_args(q, images: bool = True):
        q.add_argument("--config", type=existing_file, help="TOML config file (default: built-in defaults)")
        q.add_argument("--dev", action="store_true", help="simulated camera and printer, keyboard controls")
        q.add_argument("--out", help="with --dev: folder for receipts and archive (default narrator-out)")
        if images:
            q.add_argument("--images", type=existing_folder, help="with --dev: a folder of images to use as camera frames")
            q.add_argument("--webcam", action="store_true", help="with --dev: use the laptop's webcam")

    r = sub.add_parser("run", help="run the device: press -> photo -> caption -> poem -> receipt")
    device_args(r)
    r.add_argument("--console", nargs="?", const="127.0.0.1:8080", metavar="HOST:PORT",
                   help="serve the web console (default 127.0.0.1:8080; [console] in the config)")
    r.set_defaults(func=cmd_run)
    s_ = sub.add_parser("snap", help="one job now, no button")
    device_args(s_)
    s_.add_argument("--image", type=existing_file, help="use this image file instead of the camera")
    s_.set_defaults(func=cmd_snap)
    pt = sub.add_parser("print-test", help="print a test receipt (styles, a grey ramp, the character set)")
    device_args(pt, images=False)
    pt.set_defaults(func=cmd_print_test)
    d = sub.add_parser("doctor", help="check camera, printer, serial ports, models and disk, in plain words")
    device_args(d)
    d.set_defaults(func=cmd_doctor)

    so = sub.add_parser("soak", help="many presses with injected faults; every press must be accounted for")
    so.add_argument("--presses", type=number(int, 1, 1_000_000), default=1000)
    so.add_argument("--seed", type=number(int, 0, 2**31 - 1), default=1)
    so.add_argument("--length", type=number(int, 1, MAX_LENGTH), default=120, help="characters per stanza")
    so.add_argument("--model", type=existing_file, help="checkpoint (default: the shipped model)")
    so.add_argument("--out", help="keep the soak's archive and receipts here")
    so.set_defaults(func=cmd_soak)

    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    from device.errors import DeviceError
    from models.errors import ModelError
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        return 130
    except (ModelError, DeviceError, FileNotFoundError, ValueError, RuntimeError) as e:
        print(f"narrator {args.command}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
