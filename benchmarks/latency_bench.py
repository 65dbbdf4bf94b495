"""Press -> paper latency of a whole job, in dev mode, with the default voice.

    python benchmarks/latency_bench.py [--jobs 5] [--model CKPT] [--config FILE] [--pictures docs/receipts.png]

Runs the real pipeline (generated camera frames, the default captioner, the shipped model at
the default voice's temperatures and length within the paper budget, receipt rendering, atomic
archive) into the simulated printer, and prints a table: press -> first byte, press -> last
byte, and each stage's share (median over the jobs), then each receipt's printed length,
measured from its ESC/POS bytes (the decoded height, 8 dots a millimetre), against the budget.
--pictures: the first three receipts side by side, as the project's own preview draws them.
Targets on a 2-core CPU: first byte < 1 s, whole job < 2.5 s; receipts within the budget.
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
    p.add_argument("--pictures", help="write the first three receipts side by side to this PNG")
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
        results = [d.pipeline.run(d.voice) for _ in range(args.jobs)]
        runs = [r.timings for r in results]
        lengths = [receipt_cm(d.archive.path(r.job_id, "receipt.bin").read_bytes(), d.pipeline.paper.dots)
                   for r in results]
        stanzas = [len(d.archive.read_json(r.job_id)["stanzas"]) for r in results]
        if args.pictures:
            side_by_side([d.archive.path(r.job_id, "receipt.png") for r in results[:3]], args.pictures)
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
    paper = d.pipeline.paper
    print(f"receipts: {statistics.median(lengths):.1f} cm median, {max(lengths):.1f} cm longest, budget "
          f"{paper.budget_dots / 80:.1f} cm on {paper.dots}-dot paper; {statistics.median(stanzas):g} stanzas "
          f"(of {len(v.temperatures)} configured)")


def receipt_cm(data: bytes, dots: int) -> float:
    from device.printer.preview import decode, render
    return render(decode(data), dots).height / 80


def side_by_side(pngs, out: str) -> None:
    from PIL import Image
    ims = [Image.open(p).convert("L") for p in pngs]
    gap = 24
    sheet = Image.new("L", (sum(i.width for i in ims) + gap * (len(ims) + 1), max(i.height for i in ims) + 2 * gap), 200)
    x = gap
    for im in ims:
        sheet.paste(im, (x, gap))
        x += im.width + gap
    sheet.save(out, optimize=True)
    print(f"three receipts side by side: {out}")


if __name__ == "__main__":
    main()
