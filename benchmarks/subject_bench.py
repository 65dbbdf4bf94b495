"""Does the poem keep its subject, and at what cost?

    python benchmarks/subject_bench.py [--model CKPT] [--pulls 0,1,1.5,2,3] [--best-of 8] [--seeds 2] [--photos 10]

For two sets of captions, 10 written by hand and those the `sight` captioner writes for
--photos of the shared dev photos (../shared; skipped when absent), x the default voice's 6
temperatures x --seeds random seeds, each method writes every poem through the one writer
(models/writer.py) and reports:
- recur: share of stanzas in which a caption content word (or its plural) comes back after the
  stanza's first line (models/subject.py: recurring);
- nouns: the same for the caption's head nouns only (models/subject.py: head_nouns; target >=
  60 %): "black" coming back is not the dog coming back;
- objects: the same for what the eyes can name (a COCO category's words: the cat, a person or
  "man", the motorcycle), over the stanzas whose caption names one (target >= 50 %); settings:
  the same for the caption's setting words (room, street, field), which verse says anyway;
- loops: stanzas where one content word comes three or more times in what the model wrote
  (models/repeats.py; target <= 5 % at every temperature), printed per temperature;
- changed: stanzas whose printed caption is not the caption (the poem ran on from its last
  word: "dim light" -> "dim lightning"; target 0);
- whole: stanzas that end at the end of a line or a sentence, never in a clause cut short by
  the length (target >= 95 %);
- loss: the model's own loss on what it wrote (nats/char, temperature 1, no pull), and its
  difference from plain sampling at the same temperatures (target: <= +0.05);
- echo: stanzas with a word that begins like a caption word (its first three letters) but is
  another ("stream" for "street"): the pull led the model into a word it did not finish;
- refrain: stanzas that repeat one caption word 4 or more times after the first line;
- copies: stanzas still copying >= 40 corpus characters after the originality guard (target 0);
- job s: median seconds per poem (6 x 400 characters), everything in Writer.write included.
Methods: `pull X` is the subject pull of X nats (0 = plain sampling), with the defaults for
the rest; `slot Y` and `object Z` set models/subject.py's OBJECT_SLOT and OBJECT (0 and 1: the
pull before #31), `loops` turns the no-repeat rule off, `plain` is neither pull nor rule
(sampling as torch-rnn did); `best-of-N` samples N
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

from models.subject import OBJECT, OBJECT_SLOT

DEFAULTS = (OBJECT_SLOT, OBJECT)

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


def options(method: str) -> dict:
    """A method's words -> Writer.write options (and models.subject's slot, set here)."""
    from models import subject
    words, kw = method.split(), {}
    subject.OBJECT_SLOT, subject.OBJECT = DEFAULTS
    for i, w in enumerate(words):
        if w == "pull":
            kw["keep_subject"] = float(words[i + 1])
        elif w == "slot":
            subject.OBJECT_SLOT = float(words[i + 1])
        elif w == "object":
            subject.OBJECT = float(words[i + 1])
        elif w == "loops":
            kw["no_repeat"] = False
        elif w == "plain":
            kw.update(keep_subject=0.0, no_repeat=False)
    return kw


def comes_back(words, rest: str) -> bool:
    from models.subject import said
    return any(said(w).search(rest) for w in words)


def object_and_setting_words(caption: str) -> tuple[set[str], set[str]]:
    """The words that would count as the caption's objects coming back (every word of the
    categories it names) and as its settings coming back (every word of its setting groups)."""
    from models.captioners.coco_words import CATEGORIES, mentions, words_of
    from models.captioners.settings import setting_words, settings_named
    cats = {cat for _, cat, _ in mentions(words_of(caption))}
    return ({w for c in cats for w in CATEGORIES[c] if " " not in w},
            setting_words(settings_named(caption)) & set(words_of(caption)))


def run(writer, method: str, seeds: int, captions: list[str]) -> dict:
    from models.repeats import loops
    from models.subject import after_first_line, head_nouns, recurring, said
    recur, copies, times, losses = [], 0, [], {t: [] for t in TEMPERATURES}
    echo, refrain, nouns, changed, whole = [], [], [], [], []
    objects, settings, looped = [], [], {t: [] for t in TEMPERATURES}
    for caption in captions:
        for seed in range(seeds):
            t0 = time.perf_counter()
            if method.startswith("best-of"):
                stanzas = best_of(writer, caption, int(method.split()[-1]), seed)
            else:
                stanzas = writer.write(caption, TEMPERATURES, LENGTH, rng_seed=seed, **options(method)).stanzas
            times.append(time.perf_counter() - t0)
            for s in stanzas:
                recur.append(bool(recurring(caption, s.text)))
                rest = after_first_line(s.text)
                nouns.append(any(said(n).search(rest) for n in head_nouns(s.caption)))
                things, places = object_and_setting_words(caption)
                if things:
                    objects.append(comes_back(things, rest))
                if places:
                    settings.append(comes_back(places, rest))
                looped[s.temperature].append(bool(loops(s.text[len(s.caption):])))
                changed.append(s.text[len(s.caption):][:1].isalnum() or not s.text.startswith(s.caption))
                whole.append(s.ending in ("line", "sentence"))
                e, most = echoes_and_repeats(caption, s.text)
                echo.append(e)
                refrain.append(most >= 4)
                copies += (s.copied_span or 0) >= 40
                losses[s.temperature].append(own_loss(writer, s.caption, s.text[len(s.caption):]))
    share = lambda v: sum(v) / len(v) if v else float("nan")   # noqa: E731
    return {"recur": share(recur), "nouns": share(nouns), "changed": share(changed), "whole": share(whole),
            "objects": share(objects), "settings": share(settings), "loops": {t: share(v) for t, v in looped.items()},
            "echo": share(echo), "refrain": share(refrain),
            "copies": copies, "job_s": statistics.median(times),
            "loss": {t: statistics.mean(v) for t, v in losses.items()}}


def sight_captions(n: int) -> list[str]:
    """What the real captioner says of the first n dev photos (the benchmark's own split)."""
    from pathlib import Path
    from models.captioners import get_captioner, load_image
    from models.captioners.training.photos import load_photos
    shared = Path(__file__).resolve().parents[2] / "shared"
    if n <= 0 or not (shared / "data" / "photos").exists():
        return []
    sight = get_captioner("sight")
    dev = [p for p in load_photos(shared) if p.split == "dev"][:n]
    return [sight.caption(load_image(p.path)).text for p in dev]


def main() -> None:
    from models.writer import SHIPPED, Writer
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default=str(SHIPPED))
    p.add_argument("--methods", default="plain,pull 2.5 slot 0 object 1 loops,pull 2.5 slot 0 object 1,pull 2.5",
                   help="comma-separated (see above)")
    p.add_argument("--best-of", type=int, default=8, help="0: skip the rerank baseline")
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--photos", type=int, default=10, help="dev photos captioned by sight (0: hand-written only)")
    args = p.parse_args()
    writer = Writer.load(args.model)
    writer.write(CAPTIONS[0], TEMPERATURES, 20, rng_seed=0)   # warm-up
    methods = args.methods.split(",") + ([f"best-of {args.best_of}"] if args.best_of else [])
    sets = {"hand-written": CAPTIONS, "sight's": sight_captions(args.photos)}
    print(f"model {args.model}: {len(TEMPERATURES)} temperatures x {args.seeds} seeds, {LENGTH} chars, "
          f"{torch.get_num_threads()} threads")
    for name, captions in sets.items():
        if not captions:
            continue
        print(f"\n{len(captions)} {name} captions, e.g. {captions[0]!r}")
        print(f"{'method':<26} {'recur':>6} {'nouns':>6} {'objects':>7} {'setting':>7} {'echo':>5} {'refrain':>8} "
              f"{'changed':>8} {'whole':>6} {'loss':>7} {'vs plain':>9} {'copies':>7} {'job s':>6}  loops at "
              + " ".join(f"{t:>4}" for t in TEMPERATURES) + "  loss at " + " ".join(f"{t:>5}" for t in TEMPERATURES))
        plain = None
        for m in methods:
            r = run(writer, m, args.seeds, captions)
            loss = statistics.mean(r["loss"].values())
            plain = plain or r["loss"]
            delta = max(r["loss"][t] - plain[t] for t in TEMPERATURES)   # the worst temperature
            print(f"{m:<26} {r['recur']:>6.0%} {r['nouns']:>6.0%} {r['objects']:>7.0%} {r['settings']:>7.0%} "
                  f"{r['echo']:>5.0%} {r['refrain']:>8.0%} {r['changed']:>8.0%} {r['whole']:>6.0%} {loss:>7.3f} "
                  f"{delta:>+9.3f} {r['copies']:>7} {r['job_s']:>6.2f}           "
                  + " ".join(f"{r['loops'][t]:>4.0%}" for t in TEMPERATURES) + "          "
                  + " ".join(f"{r['loss'][t]:>5.3f}" for t in TEMPERATURES), flush=True)
    print(f"peak RSS {peak_rss_mb():.0f} MB; 'vs plain' is the largest difference at any one temperature")


if __name__ == "__main__":
    main()
