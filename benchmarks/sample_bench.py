"""Sampling speed: the batched multi-temperature sampler vs one temperature after another.

    python benchmarks/sample_bench.py [--model CKPT] [--temperatures 6] [--length 400] [--device cuda]

(a) batched: the default job's writing: Writer.load (the voice's pre-seed, originality index and
    subject pull) and Writer.write, all temperatures in one batch from one primed state, on the
    step engine (models/engine.py; CUDA graphs on a GPU); also shown stepping the same batch
    through nn.LSTM.
(b) baseline: PyTorch's word_language_model/generate.py pattern on the same model: for each
    temperature, re-prime, then a per-character Python loop (forward one char, exp(logits/T),
    torch.multinomial, .item()).
Each method runs in its own process so its peak RSS is its own. Prints a table; on CUDA the
writer's own timings synchronise the device, and so does every figure here.
"""
from __future__ import annotations

import argparse
import json
import time

import torch
from common import CAPTION, naive_sample, peak_rss_mb, run_child

def run_batched(writer, temps, length, reps, engine=True):
    """The one writer (models/writer.py) as the daemon loads it: prime on the cached pre-seed
    state, sample with the subject pull, check each stanza against the index."""
    writer.model.use_engine = engine
    times = []
    for r in range(reps):
        t0 = time.perf_counter()
        writer.write(CAPTION, temps, length, rng_seed=r * 100)   # returns lists: the device is done
        times.append(time.perf_counter() - t0)
    return min(times)


def run_baseline(writer, temps, length, reps):
    times = []
    for r in range(reps):
        torch.manual_seed(r)
        t0 = time.perf_counter()
        naive_sample(writer.model, temps, length)   # .item() every character: synchronised
        times.append(time.perf_counter() - t0)
    return min(times)


def child(args) -> None:
    from models.writer import Writer
    if args.threads:
        torch.set_num_threads(args.threads)
    writer = Writer.load(args.model, args.device or None)
    temps = [round(0.3 + 0.15 * i, 2) for i in range(args.temperatures)]
    fn = {"batched": run_batched, "baseline": run_baseline,
          "batched-nn.LSTM": lambda *a: run_batched(*a, engine=False)}[args.method]
    fn(writer, temps, 20, 1)  # warm-up (on CUDA: captures the graph)
    secs = fn(writer, temps, args.length, args.reps)
    chars = len(temps) * args.length
    print(json.dumps({"method": args.method, "seconds": secs, "chars_per_s": chars / secs,
                      "peak_rss_mb": peak_rss_mb(), "device": str(writer.model.device)}))


def main() -> None:
    from models.writer import SHIPPED
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default=str(SHIPPED))
    p.add_argument("--temperatures", type=int, default=6)
    p.add_argument("--length", type=int, default=400)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--device", default="", help="cpu | cuda (default: CUDA when present)")
    p.add_argument("--method", choices=["batched", "batched-nn.LSTM", "baseline"])
    args = p.parse_args()
    if args.method:
        return child(args)
    results = {}
    for method in ("baseline", "batched-nn.LSTM", "batched"):
        results[method] = run_child(__file__, "--method", method, "--model", args.model, "--length", str(args.length),
                                    "--temperatures", str(args.temperatures), "--reps", str(args.reps),
                                    "--threads", str(args.threads), "--device", args.device)
    base = results["baseline"]["chars_per_s"]
    print(f"model {args.model}, {args.temperatures} temperatures x {args.length} chars, "
          f"device {results['batched']['device']}, {torch.get_num_threads()} threads, best of {args.reps}")
    print(f"{'method':<16} {'seconds':>8} {'chars/s':>9} {'vs baseline':>12} {'peak RSS MB':>12}")
    for m, r in results.items():
        print(f"{m:<16} {r['seconds']:>8.2f} {r['chars_per_s']:>9,.0f} {r['chars_per_s'] / base:>11.1f}x "
              f"{r['peak_rss_mb']:>12.0f}")


if __name__ == "__main__":
    main()
