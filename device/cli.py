"""`narrator`: one command, one subcommand per stage.

    narrator run [--dev] [--config FILE]      the device (dev: simulated camera and printer)
    narrator snap [--dev] [--image FILE]      one job now
    narrator print-test / narrator doctor / narrator soak --presses 1000
    narrator write "a man riding a wave" --temperatures 0.3,0.5,0.7,0.9 --length 400
    narrator train CORPUS... --out DIR
    narrator caption IMAGE... [--captioner scene|hf] [--json]
    narrator eval CHECKPOINT TEXTFILE...
    narrator export CHECKPOINT OUT --dtype float16 --corpus CORPUS --sample-preseed
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time


def _temperatures(s: str) -> list[float]:
    try:
        temps = [float(t) for t in s.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"temperatures must be numbers separated by commas, got {s!r}")
    if not temps or any(t < 0 for t in temps):
        raise argparse.ArgumentTypeError("give at least one temperature, each >= 0 (0 = greedy)")
    return temps


def cmd_write(args) -> int:
    from models.writer import Writer
    t0 = time.perf_counter()
    writer = Writer.load(args.model)
    load_s = time.perf_counter() - t0
    preseed = None
    if args.no_preseed:
        preseed = ""
    elif args.preseed_file:
        preseed = open(args.preseed_file, encoding="utf-8").read()
    elif args.preseed is not None:
        preseed = args.preseed
    poem = writer.write(args.caption, args.temperatures, args.length, preseed=preseed,
                        top_k=args.top_k, rng_seed=args.seed, max_copy=args.max_copy, retries=args.retries)
    if args.json:
        print(json.dumps({"model": writer.name, "caption": poem.stanzas[0].caption, "dropped": poem.dropped,
                          "stanzas": [s.to_dict() for s in poem.stanzas],
                          "timings": dict(poem.timings, load_s=load_s)}, indent=2))
        return 0
    for s in poem.stanzas:
        note = "" if s.original else f"  (copies {s.copied_span} chars from the corpus)"
        print(f"~ temperature {s.temperature:g}{note}\n{s.text}\n")
    return 0


def cmd_caption(args) -> int:
    from models.captioners import get_captioner, load_image
    from models.captioners import ImageError
    options = {"model": args.hf_model} if args.hf_model else {}
    if args.hf_prompt:
        options["prompt"] = args.hf_prompt
    captioner = get_captioner(args.captioner, **options)
    results, bad = [], 0
    for path in args.images:
        try:   # one bad file must not stop the batch
            cap = captioner.caption(load_image(path))
        except ImageError as e:
            bad += 1
            print(f"narrator: {e}", file=sys.stderr)
            continue
        results.append({"image": path, "caption": cap.text, "seconds": round(cap.seconds, 4), "details": cap.details})
        if not args.json:
            print(f"{path}: {cap.text}")
    if args.json:
        print(json.dumps(results, indent=2))
    return 2 if bad else 0


def cmd_eval(args) -> int:
    from models.checkpoint import load_checkpoint
    from models.evaluate import text_loss
    model, _ = load_checkpoint(args.checkpoint)
    r = text_loss(model, args.textfiles)
    print(f"{r.nats_per_char:.4f} nats/char  {r.bits_per_char:.4f} bits/char  over {r.chars:,} chars")
    if r.folded_away:
        print(f"{r.folded_away:,} chars not printable were removed by the folding rule")
    if r.out_of_vocab_count:
        print(f"{r.out_of_vocab_count:,} chars outside the model's vocabulary were not scored: {r.out_of_vocab!r}")
    return 0


def cmd_train(args) -> int:
    from models.train import train
    return train(args)


def cmd_export(args) -> int:
    from models.export import export
    meta = export(args.checkpoint, args.out, args.dtype, args.corpus, args.preseed, args.sample_preseed, args.seed)
    print(f"wrote {args.out} ({args.dtype}); pre-seed: {meta.get('preseed', '')!r}")
    return 0


def _device_config(args):
    """The config file (if any) with dev mode's overrides: simulated camera and printer."""
    from device.config import load_config
    return load_config(args.config, _dev_overrides(args))


def _dev_overrides(args) -> dict:
    overrides: dict = {}
    if getattr(args, "dev", False):
        overrides["camera"] = {"backend": "sim", "folder": getattr(args, "images", None) or ""}
        if getattr(args, "webcam", False):
            overrides["camera"] = {"backend": "opencv", "source": 0}
        overrides["printer"] = {"backend": "sim", "out_dir": f"{args.out}/receipts"}
        overrides["controls"] = {"backend": "keyboard"}
        overrides["archive_dir"] = f"{args.out}/archive"
    return overrides


def early_signals() -> list[str]:
    """Until the daemon is up, SIGTERM and SIGHUP are only noted ("quit", "reload"): loading
    models takes seconds, and a SIGHUP's default action would kill the process."""
    import signal
    noted: list[str] = []
    signal.signal(signal.SIGTERM, lambda *_: noted.append("quit"))
    signal.signal(signal.SIGHUP, lambda *_: noted.append("reload"))
    return noted


def cmd_run(args) -> int:
    from device.daemon import Daemon
    from device.statelock import StateLock
    noted = early_signals()
    config = _device_config(args)
    log = logging.getLogger("narrator")
    log.info("config: %s", config)
    with StateLock(config.archive_dir, "this run"):   # one daemon per archive, taken before anything slow
        daemon = Daemon.from_config(config)
        daemon.handle_signals(args.config, _dev_overrides(args), early=noted)
        if args.dev:
            print("dev mode: press Enter to take a photo, r + Enter to reprint, 0-9 + Enter to turn the "
                  f"knob, q to quit. Receipts go to {args.out}/receipts", file=sys.stderr)
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
        try:
            result = daemon.pipeline.run(daemon.voice, frame=frame)
        finally:
            daemon.close()
    print(json.dumps({"job": result.job_id, "status": result.status, "caption": result.caption,
                      "error": result.error, "timings": result.timings,
                      "archive": str(daemon.archive.root / result.job_id)}, indent=2))
    if result.status == "spooled":
        print(f"the printer is not ready ({daemon.spool.fault or 'busy'}): the receipt is archived and "
              "will print at the next `narrator run`", file=sys.stderr)
    return 0 if result.status == "printed" else 1


def cmd_print_test(args) -> int:
    import numpy as np
    from device.printer import PrinterError, open_printer
    from device.receipt import Paper, receipt_body, receipt_head
    config = _device_config(args)
    p = config.printer
    paper = Paper.from_config(p)
    ramp = np.tile(np.linspace(0, 255, 256, dtype=np.uint8), (96, 1))
    gradient = np.stack([ramp] * 3, axis=-1)
    printer = open_printer(p)
    printer.begin(time.strftime("print-test-%Y%m%d-%H%M%S"))
    try:
        printer.send(receipt_head(paper, time.strftime("%Y-%m-%d %H:%M"), config.installation or "print test",
                                  gradient, f"{paper.columns} columns, {paper.dots} dots, profile {paper.profile}"))
        printer.send(receipt_body(paper, ["".join(chr(c) for c in range(32, 127)),
                                          "-" * paper.columns], "print test", printer.describe()))
        print(printer.end() or f"sent to {printer.describe()}")
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
        problems += not ok
        print(f"{'ok     ' if ok else 'PROBLEM'} {what}: {detail}")
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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="narrator", description="A narrated-reality camera: photo -> caption -> poem -> receipt.")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)

    w = sub.add_parser("write", help="write one stanza per temperature from a seed text")
    w.add_argument("caption", metavar="CAPTION", help="the text each stanza starts with")
    w.add_argument("--temperatures", type=_temperatures, default=[0.3, 0.5, 0.7, 0.9],
                   help="comma-separated; 0 = greedy (default 0.3,0.5,0.7,0.9)")
    w.add_argument("--length", type=int, default=400, help="generated characters per stanza, the seed not counted")
    w.add_argument("--model", help="checkpoint (default: the shipped poetry model)")
    g = w.add_mutually_exclusive_group()
    g.add_argument("--preseed", help="pre-seed text (default: the model's own)")
    g.add_argument("--preseed-file", help="read the pre-seed from a file")
    g.add_argument("--no-preseed", action="store_true", help="prime on the seed alone")
    w.add_argument("--top-k", type=int, help="sample only among the k likeliest characters")
    w.add_argument("--seed", type=int, help="random seed; the same seed writes the same poem (not the caption)")
    w.add_argument("--max-copy", type=int, default=40, help="resample stanzas copying this many corpus chars")
    w.add_argument("--retries", type=int, default=3, help="resampling attempts per copying stanza")
    w.add_argument("--json", action="store_true", help="machine-readable output")
    w.set_defaults(func=cmd_write)

    def device_args(q, images: bool = True):
        q.add_argument("--config", help="TOML config file (default: built-in defaults)")
        q.add_argument("--dev", action="store_true", help="simulated camera and printer, keyboard controls")
        q.add_argument("--out", default="narrator-out", help="dev mode: folder for receipts and archive")
        if images:
            q.add_argument("--images", help="dev mode: a folder of images to use as camera frames")
            q.add_argument("--webcam", action="store_true", help="dev mode: use the laptop's webcam")

    r = sub.add_parser("run", help="run the device: press -> photo -> caption -> poem -> receipt")
    device_args(r)
    r.set_defaults(func=cmd_run)
    s_ = sub.add_parser("snap", help="one job now, no button")
    device_args(s_)
    s_.add_argument("--image", help="use this image file instead of the camera")
    s_.set_defaults(func=cmd_snap)
    pt = sub.add_parser("print-test", help="print a test receipt (styles, a grey ramp, the character set)")
    device_args(pt, images=False)
    pt.set_defaults(func=cmd_print_test)
    d = sub.add_parser("doctor", help="check camera, printer, serial ports, models and disk, in plain words")
    device_args(d)
    d.set_defaults(func=cmd_doctor)

    so = sub.add_parser("soak", help="many presses with injected faults; every press must be accounted for")
    so.add_argument("--presses", type=int, default=1000)
    so.add_argument("--seed", type=int, default=1)
    so.add_argument("--length", type=int, default=120, help="characters per stanza")
    so.add_argument("--model", help="checkpoint (default: the shipped model)")
    so.add_argument("--out", help="keep the soak's archive and receipts here")
    so.set_defaults(func=cmd_soak)

    c = sub.add_parser("caption", help="caption image files")
    c.add_argument("images", nargs="+", metavar="IMAGE")
    c.add_argument("--captioner", default="sight", help="sight (default: names what it sees), scene (colour and light) or hf")
    c.add_argument("--hf-model", help="for --captioner hf: a local folder or a model id in the hub cache")
    c.add_argument("--hf-prompt", help='for --captioner hf: a task prompt (Florence-2 needs "<CAPTION>")')
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_caption)

    e = sub.add_parser("eval", help="a model's loss on text, in nats/char and bits/char")
    e.add_argument("checkpoint")
    e.add_argument("textfiles", nargs="+")
    e.set_defaults(func=cmd_eval)

    from models.train import add_arguments
    t = sub.add_parser("train", help="train a char-LSTM on your corpus")
    add_arguments(t)
    t.set_defaults(func=cmd_train)

    x = sub.add_parser("export", help="ship a checkpoint: smaller weights, corpus index, pre-seed")
    x.add_argument("checkpoint")
    x.add_argument("out")
    x.add_argument("--dtype", choices=["float32", "float16", "bfloat16"], default="float16")
    x.add_argument("--corpus", nargs="+", help="build the originality index from this corpus")
    gx = x.add_mutually_exclusive_group()
    gx.add_argument("--preseed", help="pre-seed text to store with the model")
    gx.add_argument("--sample-preseed", action="store_true", help="sample the pre-seed from the model itself")
    x.add_argument("--seed", type=int, default=0)
    x.set_defaults(func=cmd_export)
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
