"""Press -> paper latency of a whole job, in dev mode, with the default voice.

    python benchmarks/latency_bench.py [--jobs 5] [--model CKPT] [--config FILE]

Runs the real pipeline (generated camera frames, scene captioner, the shipped model at
6 temperatures x 400 characters, receipt rendering, atomic archive) into the simulated
printer, and prints a table: press -> first byte, press -> last byte, and each stage's share
(median over the jobs). Targets on a 2-core CPU: first byte < 1 s, whole job < 5 s.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile

import common   # also puts the checkout on sys.path

from device.archive import Archive
from device.camera import SimCamera
from device.config import load_config
from device.controls import NoControls
from device.daemon import Daemon
from device.voices import load_voices
from device.printer import SimPrinter

STAGES = ["capture_s", "caption_s", "archive_head_s", "write_s", "archive_s", "print_head_wait_s", "print_s"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--jobs", type=int, default=5)
    p.add_argument("--model", default="")
    p.add_argument("--config")
    p.add_argument("--no-engine", action="store_true", help="sample through nn.LSTM, to see the engine's gain")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        overrides = {"archive_dir": f"{tmp}/archive"}
        config = load_config(args.config, overrides)
        if args.model:
            config.voices[0].model = args.model
        voices = load_voices(config)
        for v in voices:
            v.writer.model.use_engine = not args.no_engine
        d = Daemon(config, SimCamera(), NoControls(), SimPrinter(f"{tmp}/receipts", echo=False),
                   voices, Archive(f"{tmp}/archive"))
        d.pipeline.run(d.voice)  # warm-up
        runs = [d.pipeline.run(d.voice).timings for _ in range(args.jobs)]
    v = config.voices[0]
    med = {k: statistics.median(r[k] for r in runs) for k in STAGES + ["first_byte_s", "last_byte_s", "total_s"]}
    print(f"voice {v.name}: {len(v.temperatures)} stanzas x {v.length} chars, {args.jobs} jobs, median seconds, "
          f"sampling {'through nn.LSTM' if args.no_engine else 'on the step engine'}")
    print(f"{'measure':<26} {'seconds':>8} {'share':>7}")
    print(f"{'press -> first byte':<26} {med['first_byte_s']:>8.3f} {'':>7}")
    print(f"{'press -> last byte':<26} {med['last_byte_s']:>8.3f} {'':>7}")
    for k in STAGES:
        print(f"{'  ' + k[:-2].replace('_', ' '):<26} {med[k]:>8.3f} {med[k] / med['total_s']:>6.0%}")
    print(f"{'whole job':<26} {med['total_s']:>8.3f} {'100%':>7}")
    print(f"peak RSS {common.peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
