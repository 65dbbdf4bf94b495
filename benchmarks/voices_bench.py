"""How the shipped voices differ, and what each costs: a table a row per voice.

    python benchmarks/voices_bench.py [--runs 5] [--chars 3000]

- size, and validation bits/char as its training run recorded it (on its own corpus);
- the whole writing step of a default job on this CPU (the voice's seed template, 6 stanzas x
  400 characters as the default config asks, subject pull, originality guard), median of runs;
- how distinct the voices are, on text each voice wrote from the same captions: every voice's
  loss (bits/char) on every voice's output (a voice reads its own writing best; the gap to the
  others is how far apart they are). (The share of 20-grams found in each corpus was tried: the
  originality index's Bloom filter answers yes to ~13 % of any 20-grams, which drowned it.)
"""
from __future__ import annotations

import argparse
import statistics
import time

import common  # noqa: F401  (puts the checkout on sys.path)
import torch

from models.arguments import shipped_voices
from models.evaluate import stream_loss
from models.writer import Writer

CAPTIONS = ["a man riding a wave on top of a surfboard", "a cat sitting on a wooden bench",
            "a red boat on a lake at sunset", "two people walking down a city street"]
TEMPERATURES = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
LN2 = 0.6931471805599453


def bits(writer: Writer, text: str) -> float:
    ids = [writer.model.vocab.index[c] for c in text if c in writer.model.vocab.index]
    return stream_loss(writer.model, torch.tensor(ids), 1, len(ids) - 1, writer.model.device) / LN2


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--chars", type=int, default=3000, help="characters of each voice's output to compare")
    args = ap.parse_args()
    torch.set_num_threads(2)
    voices = {name: Writer.load(name) for name in shipped_voices()}
    outputs, rows = {}, []
    for name, w in voices.items():
        times = []
        for r in range(args.runs):
            t0 = time.perf_counter()
            w.write(CAPTIONS[r % len(CAPTIONS)], TEMPERATURES, 400, rng_seed=r)
            times.append(time.perf_counter() - t0)
        text = ""
        for i, caption in enumerate(CAPTIONS * 4):
            poem = w.write(caption, [0.7], 400, rng_seed=100 + i)
            text += "".join(s.text[len(s.caption):] for s in poem.stanzas) + "\n\n"
            if len(text) >= args.chars:
                break
        outputs[name] = text[:args.chars]
        c = w.model.config
        train = w.meta.get("train", {})
        rows.append((name, f"{c.num_layers} x {c.rnn_size}", w.path.stat().st_size / 1e6,
                     train.get("best_val_loss", float("nan")) / LN2, statistics.median(times)))
    print(f"| voice | LSTM | MB | val bits/char | writing, 6 x 400 (s) | {' | '.join(f'bits/char on {n} output' for n in voices)} |")
    print("|---|---|---|---|---|" + "---|" * len(voices))
    for (name, shape, mb, val, t) in rows:
        cross = [bits(voices[name], outputs[other]) for other in voices]
        print(f"| {name} | {shape} | {mb:.1f} | {val:.3f} | {t:.2f} | " + " | ".join(f"{x:.2f}" for x in cross) + " |")


if __name__ == "__main__":
    main()
