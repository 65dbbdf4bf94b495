"""Mixed precision in training: `narrator train --amp` (bfloat16 autocast) against float32.

    python benchmarks/amp_bench.py [--corpus ../shared/data/poetry] [--sizes 2x512,3x768]
                                   [--steps 400] [--checkpoint-every 100] [--eval-max-chars 200000]

Why: `--amp` is on by default on CUDA only if it trains faster *and* as well. Each size trains
twice with the project's own trainer (`python -m models.train`, same seed, same batches, same
validation chunks), once in float32 and once with `--amp`, and the table compares their
speed (median chars/s over the logged windows after the first) and their validation loss at
every checkpoint (the same first validation characters each time). On a CPU `--amp` trains in float32 (and says so): the two rows then only
show the run-to-run noise.
"""
from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ROOT

DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "poetry"   # the shipped voice's corpus


def train(corpus: str, out: Path, layers: int, size: int, args, amp: bool) -> list[dict]:
    cmd = [sys.executable, "-m", "models.train", corpus, "--out", str(out), "--num-layers", str(layers),
           "--rnn-size", str(size), "--seq-length", str(args.seq_length), "--batch-size", str(args.batch_size),
           "--max-steps", str(args.steps), "--checkpoint-every", str(args.checkpoint_every), "--seed", "0",
           "--eval-max-chars", str(args.eval_max_chars)]
    r = subprocess.run(cmd + (["--amp"] if amp else []), cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stderr[-3000:]}")
    with open(out / "log.csv", newline="") as f:
        return list(csv.DictReader(f))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    p.add_argument("--sizes", default="2x512,3x768", help="LAYERSxSIZE, comma-separated")
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--checkpoint-every", type=int, default=100)
    p.add_argument("--seq-length", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--eval-max-chars", type=int, default=200_000)
    args = p.parse_args()
    import torch
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu (--amp falls back to float32)"
    print(f"device {device}, corpus {args.corpus}, batch {args.batch_size} x seq {args.seq_length}, "
          f"{args.steps} steps, same seed")
    print(f"{'size':<7} {'precision':<9} {'chars/s':>10} {'speed':>6}  val loss at steps "
          f"{', '.join(str(s) for s in range(args.checkpoint_every, args.steps + 1, args.checkpoint_every))}")
    with tempfile.TemporaryDirectory() as tmp:
        for spec in args.sizes.split(","):
            layers, size = (int(v) for v in spec.lower().split("x"))
            runs = {amp: train(args.corpus, Path(tmp) / f"{spec}-{amp}", layers, size, args, amp)
                    for amp in (False, True)}
            speed = {amp: statistics.median(float(r["chars_per_s"]) for r in rows[1:] or rows)
                     for amp, rows in runs.items()}
            for amp, rows in runs.items():
                vals = [float(r["val_loss"]) for r in rows]
                diff = "" if not amp else "  (amp - float32: " + ", ".join(
                    f"{v - float(f['val_loss']):+.4f}" for v, f in zip(vals, runs[False])) + ")"
                print(f"{spec:<7} {'bf16-amp' if amp else 'float32':<9} {speed[amp]:>10,.0f} "
                      f"{speed[amp] / speed[False]:>5.2f}x  {', '.join(f'{v:.4f}' for v in vals)}{diff}")


if __name__ == "__main__":
    main()
