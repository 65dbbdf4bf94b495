"""The step engine against the naive loop and batched nn.LSTM, with the CPU options.

    python benchmarks/engine_bench.py [--length 400] [--temperatures 6] [--quality-chars 20000]

For the shipped model and a random 3x512 model: chars/s, ms per step, the ratio of a step's
time to the weight-streaming bound (weight bytes / this machine's memory bandwidth, measured
in the same run), peak RSS (each row runs in its own process), caption-prime time with and
without the cached pre-seed, and for the CPU options (threads, bfloat16, int8) the loss on
the first --quality-chars of the shipped model's own validation split. Prints one table.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from common import CAPTION, naive_sample, peak_rss_mb, run_child, timed

METHODS = ["naive", "nn.LSTM", "engine", "engine-bf16", "engine-int8"]


def bandwidth_gbs() -> float:
    """Copy bandwidth (read + write bytes per second) over a 256 MiB buffer, best of 5."""
    src = torch.ones(64 * 2**20)
    dst = torch.empty_like(src)
    dst.copy_(src)
    best = min(timed(lambda: dst.copy_(src)) for _ in range(5))
    return 2 * src.numel() * 4 / best / 1e9


def load_model(which: str):
    from models.charlstm import CharLSTM, CharLSTMConfig
    from models.writer import SHIPPED, Writer
    if which == "shipped":
        writer = Writer.load(SHIPPED, "cpu")
        return writer.model, writer
    torch.manual_seed(0)
    from models.text import Vocab
    vocab = Writer.load(SHIPPED, "cpu").model.vocab
    return CharLSTM(CharLSTMConfig(3, 512, 64), Vocab(vocab.chars)).eval(), None


def child(args) -> None:
    torch.set_num_threads(args.threads)
    model, writer = load_model(args.model)
    temps = [round(0.3 + 0.1 * i, 2) for i in range(args.temperatures)]
    logits, state = model.prime(CAPTION)
    seeds = list(range(len(temps)))
    if args.method == "naive":
        run = lambda n: naive_sample(model, temps, n)  # noqa: E731
    elif args.method == "nn.LSTM":
        run = lambda n: model.generate(logits, state, temps, n, seeds, engine=False)  # noqa: E731
    else:
        from models.engine import StepEngine
        eng = StepEngine(model, len(temps), torch.bfloat16 if args.method == "engine-bf16" else torch.float32,
                         int8=args.method == "engine-int8")
        run = lambda n: eng.generate(logits, state, temps, n, seeds)  # noqa: E731
    run(20)
    secs = min(timed(lambda: run(args.length)) for _ in range(args.reps))
    res = {"seconds": secs, "steps": args.length * (len(temps) if args.method == "naive" else 1),
           "chars_per_s": len(temps) * args.length / secs}
    from models.engine import StepEngine
    res["weight_bytes"] = StepEngine(model, 1, int8=args.method == "engine-int8").weight_bytes() \
        if args.method != "engine-bf16" else StepEngine(model, 1, torch.bfloat16).weight_bytes()
    if writer is not None and args.method == "engine":
        from models.writer import Writer
        preseed = writer.preseed
        cold = min(timed(lambda: Writer(model).prime(CAPTION, preseed)) for _ in range(5))   # a fresh writer: nothing cached
        warm = min(timed(lambda: writer.prime(CAPTION, preseed)) for _ in range(5))
        res.update(prime_cold_ms=cold * 1e3, prime_cached_ms=warm * 1e3)
    res["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(res))


@torch.inference_mode()
def quality(chars: int, threads: int) -> dict[str, float]:
    """Loss (nats/char) of each engine variant, teacher-forced on the start of the val split."""
    import torch.nn.functional as F

    from models.corpus import Corpus
    from models.engine import StepEngine
    torch.set_num_threads(threads)
    model, writer = load_model("shipped")
    corpus_dir = Path(__file__).resolve().parents[2] / "shared" / "data" / "poetry"
    if not corpus_dir.exists():
        return {}
    corpus = Corpus.read([corpus_dir])
    _, val = corpus.split()
    B = 16
    n = chars // B
    x = val[: B * (n + 1)].view(B, n + 1)
    out = {}
    for name, kw in [("engine", {}), ("engine-bf16", {"dtype": torch.bfloat16}), ("engine-int8", {"int8": True})]:
        eng = StepEngine(model, B, **kw)
        eng.load((torch.zeros(model.config.num_layers, 1, model.config.rnn_size),) * 2)
        total = 0.0
        for t in range(n):
            total += F.cross_entropy(eng.step(x[:, t]).float(), x[:, t + 1], reduction="sum").item()
        out[name] = total / (B * n)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--length", type=int, default=400)
    p.add_argument("--temperatures", type=int, default=6)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--quality-chars", type=int, default=20000)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--method")
    p.add_argument("--model")
    args = p.parse_args()
    if args.method:
        return child(args)
    bw = bandwidth_gbs()
    threads = [args.threads] if args.threads else sorted({1, torch.get_num_threads()})
    print(f"memory bandwidth {bw:.1f} GB/s (256 MiB copy, read + write bytes); {args.temperatures} temperatures x {args.length} chars; "
          f"best of {args.reps}")
    print(f"{'model':<8} {'method':<12} {'thr':>3} {'chars/s':>9} {'ms/step':>8} {'x bound':>8} {'vs naive':>9} "
          f"{'RSS MB':>7}")
    extra = {}
    for which in ("shipped", "3x512"):
        for th in threads:
            base = None
            for m in METHODS:
                r = run_child(__file__, "--method", m, "--model", which, "--threads", str(th),
                              "--length", str(args.length), "--temperatures", str(args.temperatures),
                              "--reps", str(args.reps))
                ms = r["seconds"] / r["steps"] * 1e3
                bound_ms = r["weight_bytes"] / (bw * 1e9) * 1e3   # a step reads the weights once
                base = base or r["chars_per_s"]
                print(f"{which:<8} {m:<12} {th:>3} {r['chars_per_s']:>9,.0f} {ms:>8.3f} {ms / bound_ms:>7.1f}x "
                      f"{r['chars_per_s'] / base:>8.1f}x {r['peak_rss_mb']:>7.0f}")
                if "prime_cold_ms" in r:
                    extra[(which, th)] = r
    for (which, th), r in extra.items():
        print(f"prime '{CAPTION}' ({which}, {th} threads): {r['prime_cold_ms']:.1f} ms with the pre-seed, "
              f"{r['prime_cached_ms']:.1f} ms on the cached pre-seed state")
    q = quality(args.quality_chars, max(threads))
    if q:
        print(f"quality, nats/char on the first {args.quality_chars:,} val chars: " +
              ", ".join(f"{k} {v:.4f}" for k, v in q.items()))


if __name__ == "__main__":
    main()
