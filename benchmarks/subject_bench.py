"""Does the poem keep its subject, and at what cost?

    python benchmarks/subject_bench.py [--model CKPT] [--pulls 0,1,1.5,2,3] [--best-of 8] [--seeds 2]

For 10 captions x the default voice's 6 temperatures x --seeds random seeds, each method writes
every poem through the one writer (models/writer.py) and reports:
- recur: share of stanzas in which a caption content word (or its plural) comes back after the
  stanza's first line (models/subject.py: recurring);
- loss: the model's own loss on what it wrote (nats/char, temperature 1, no pull), and its
  difference from plain sampling at the same temperatures (target: <= +0.05);
- echo: stanzas with a word that begins like a caption word (its first three letters) but is
  another ("stream" for "street"): the pull led the model into a word it did not finish;
- refrain: stanzas that repeat one caption word 4 or more times after the first line;
- copies: stanzas still copying >= 40 corpus characters after the originality guard (target 0);
- job s: median seconds per poem (6 x 400 characters), everything in Writer.write included.
Methods: `pull X` is the subject pull of X nats (0 = plain sampling); `best-of-N` samples N
rows per temperature without pull and keeps, per temperature, a row where the subject recurs
(the likeliest such row, else the likeliest row): the rerank baseline the pull has to beat.
"""
from __future__ import annotations

import argparse
import re
import statistics
import time

import torch
import torch.nn.functional as F
from common import peak_rss_mb

CAPTIONS = ["a man riding a wave on top of a surfboard", "a cat laying on a blanket",
            "a dog running on the beach", "a cup of coffee on a wooden table",
            "a red bus driving down a city street", "a person holding an umbrella in the rain",
            "a bowl of fruit on a kitchen counter", "two horses standing in a green field",
            "a small blue thing in front of a brown wall in dim light", "an empty room with grey walls"]
TEMPERATURES = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
LENGTH = 400


@torch.inference_mode()
def own_loss(writer, caption: str, written: str) -> float:
    """The model's loss (nats/char) on `written`, read after the caption as the writer primes it."""
    model = writer.model
    logits, state = writer.prime(caption, writer.preseed)
    ids = torch.tensor([model.vocab.encode(written)], device=model.device)
    if ids.numel() < 2:
        return float("nan")
    out, _ = model(ids[:, :-1], state)
    all_logits = torch.cat([logits.unsqueeze(1), out], 1)[0].float()
    return F.cross_entropy(all_logits, ids[0]).item()


def best_of(writer, caption, n, seed):
    """N rows per temperature without pull; per temperature the likeliest row that keeps the
    subject, else the likeliest row."""
    from models.subject import recurring
    poem = writer.write(caption, [t for t in TEMPERATURES for _ in range(n)], LENGTH, rng_seed=seed, keep_subject=0)
    stanzas = []
    for k in range(len(TEMPERATURES)):
        group = poem.stanzas[k * n:(k + 1) * n]
        scored = [(bool(recurring(caption, s.text)), -own_loss(writer, caption, s.text[len(s.caption):]), i)
                  for i, s in enumerate(group)]
        stanzas.append(group[max(scored)[2]])
    return stanzas


def echoes_and_repeats(caption: str, stanza: str) -> tuple[bool, int]:
    """(a word after the first line begins like a caption word but is another, the most times
    one caption word comes back after the first line)."""
    from models.subject import after_first_line, content_words, said
    rest = after_first_line(stanza)
    keys = content_words(caption)
    words = re.findall(r"[a-z]+", rest)
    echo = any(len(w) >= 3 and k.startswith(w[:3]) and not w.startswith(k) for w in words for k in keys)
    return echo, max((len(said(k).findall(rest)) for k in keys), default=0)


def run(writer, method: str, seeds: int) -> dict:
    from models.subject import recurring
    recur, copies, times, losses = [], 0, [], {t: [] for t in TEMPERATURES}
    echo, refrain = [], []
    for caption in CAPTIONS:
        for seed in range(seeds):
            t0 = time.perf_counter()
            if method.startswith("best-of"):
                stanzas = best_of(writer, caption, int(method.split()[-1]), seed)
            else:
                stanzas = writer.write(caption, TEMPERATURES, LENGTH, rng_seed=seed,
                                       keep_subject=float(method.split()[-1])).stanzas
            times.append(time.perf_counter() - t0)
            for s in stanzas:
                recur.append(bool(recurring(caption, s.text)))
                e, most = echoes_and_repeats(caption, s.text)
                echo.append(e)
                refrain.append(most >= 4)
                copies += (s.copied_span or 0) >= 40
                losses[s.temperature].append(own_loss(writer, s.caption, s.text[len(s.caption):]))
    return {"recur": sum(recur) / len(recur), "echo": sum(echo) / len(echo), "refrain": sum(refrain) / len(refrain),
            "copies": copies, "job_s": statistics.median(times),
            "loss": {t: statistics.mean(v) for t, v in losses.items()}}


def main() -> None:
    from models.writer import SHIPPED, Writer
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default=str(SHIPPED))
    p.add_argument("--pulls", default="0,1,1.5,2,3")
    p.add_argument("--best-of", type=int, default=8, help="0: skip the rerank baseline")
    p.add_argument("--seeds", type=int, default=2)
    args = p.parse_args()
    writer = Writer.load(args.model)
    writer.write(CAPTIONS[0], TEMPERATURES, 20, rng_seed=0)   # warm-up
    methods = [f"pull {x}" for x in args.pulls.split(",")] + ([f"best-of {args.best_of}"] if args.best_of else [])
    print(f"model {args.model}: {len(CAPTIONS)} captions x {len(TEMPERATURES)} temperatures x {args.seeds} seeds, "
          f"{LENGTH} chars, {torch.get_num_threads()} threads")
    print(f"{'method':<12} {'recur':>6} {'echo':>5} {'refrain':>8} {'loss':>7} {'vs plain':>9} {'copies':>7} {'job s':>6}")
    plain = None
    for m in methods:
        r = run(writer, m, args.seeds)
        loss = statistics.mean(r["loss"].values())
        plain = plain or r["loss"]
        delta = max(r["loss"][t] - plain[t] for t in TEMPERATURES)   # the worst temperature
        print(f"{m:<12} {r['recur']:>6.0%} {r['echo']:>5.0%} {r['refrain']:>8.0%} {loss:>7.3f} {delta:>+9.3f} {r['copies']:>7} {r['job_s']:>6.2f}", flush=True)
    print(f"peak RSS {peak_rss_mb():.0f} MB; 'vs plain' is the largest difference at any one temperature")


if __name__ == "__main__":
    main()
