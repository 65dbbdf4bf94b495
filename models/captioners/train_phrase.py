"""Train the phrase model (concept words -> a COCO-style sentence) on COCO caption text alone.

    python -m models.captioners.train_phrase --captions ../shared/data/captions/coco_captions_val2017.json \
        --out models/shipped/phrase.safetensors          # ~15 min on a 2-core CPU

Each caption becomes a training pair every epoch, with fresh noise: its own concept words
(the words the eyes can report: the word table's, people and settings), shuffled, each object or
setting dropped with p=0.1 (people words never are, so the model learns not to add people it
was not given; one concept always stays), a random distractor with p=0.1, and with p=0.1 one
concept replaced by <thing> on both sides (the copy slot for words the model never saw; a concept seen
fewer than --min-count times always goes through it). 5% of the
photos' captions are held out for the validation loss. Captions: COCO 2017 (CC BY 4.0).
"""
from __future__ import annotations

import argparse
import collections
import csv
import json
import math
import random
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from .phrase import BOS, EOS, SETTINGS, SPECIALS, THING, UNK, PhraseConfig, PhraseModel, concepts_of, tokens

TABLE = Path(__file__).parent / "data" / "imagenet_words.tsv"
PEOPLE_CONCEPTS = {"person", "people", "child", "children", "player", "skier", "surfer", "skateboarder",
                   "snowboarder", "crowd", "family", "couple", "rider", "chef", "baby"}


def concept_vocabulary(table: Path = TABLE) -> set[str]:
    """Every word the eyes can report: the word table's, people words and settings."""
    words = set(PEOPLE_CONCEPTS | SETTINGS)
    with open(table) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["words"] != "-":
                words.update(row["words"].split())
    return words


def load_captions(path: Path) -> list[tuple[int, list[str]]]:
    doc = json.loads(Path(path).read_text())
    return [(a["image_id"], tokens(a["caption"])) for a in doc["annotations"]]


class Pairs:
    """Noisy (concepts, sentence) pairs, drawn afresh each epoch."""

    def __init__(self, captions, concepts: set[str], index: dict[str, int], max_len: int, seed: int):
        self.items = [(concepts_of(w, concepts), w) for _, w in captions]
        self.items = [(c, w) for c, w in self.items if c and len(w) <= max_len]
        self.concepts, self.index, self.rng = sorted(concepts), index, random.Random(seed)

    def example(self, cs: list[str], words: list[str], noise: bool) -> tuple[list[int], list[int]]:
        cs, words = list(cs), list(words)
        if noise:
            self.rng.shuffle(cs)
            kept = [c for c in cs if c in PEOPLE_CONCEPTS or self.rng.random() > 0.1] or [self.rng.choice(cs)]
            if self.rng.random() < 0.1:
                kept.append(self.rng.choice(self.concepts))
            if self.rng.random() < 0.1:
                target = self.rng.choice(kept)
                if target in words:
                    kept = [THING if c == target else c for c in kept]
                    words = [THING if w == target else w for w in words]
            cs = kept
        rare = next((c for c in cs if c not in self.index), None)
        if rare:   # a word too rare to have learned: it travels through the slot, as at run time
            cs = [THING if c == rare else c for c in cs]
            words = [THING if w == rare else w for w in words]
        unk = self.index[UNK]
        return [self.index.get(c, unk) for c in cs], [self.index.get(w, unk) for w in words]

    def batches(self, batch_size: int, noise: bool = True):
        order = list(range(len(self.items)))
        if noise:
            self.rng.shuffle(order)
        for i in range(0, len(order), batch_size):
            yield collate([self.example(*self.items[j], noise) for j in order[i:i + batch_size]], self.index)


def collate(examples, index):
    C = max(len(c) for c, _ in examples)
    T = max(len(w) for _, w in examples) + 1
    src = torch.zeros(len(examples), C, dtype=torch.long)
    inp = torch.zeros(len(examples), T, dtype=torch.long)
    out = torch.zeros(len(examples), T, dtype=torch.long)
    for i, (c, w) in enumerate(examples):
        src[i, :len(c)] = torch.tensor(c)
        inp[i, :len(w) + 1] = torch.tensor([index[BOS]] + w)
        out[i, :len(w) + 1] = torch.tensor(w + [index[EOS]])
    return src, inp, out


@torch.no_grad()
def validation_loss(model, pairs: Pairs, batch_size: int) -> float:
    model.eval()
    total, n = 0.0, 0
    for src, inp, out in pairs.batches(batch_size, noise=False):
        logits = model(src, inp)
        total += F.cross_entropy(logits.flatten(0, 1), out.flatten(), ignore_index=0, reduction="sum").item()
        n += int((out != 0).sum())
    model.train()
    return total / n


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--captions", required=True, help="COCO captions JSON")
    p.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "shipped" / "phrase.safetensors"))
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--min-count", type=int, default=3, help="rarer words become <unk>")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-minutes", type=float, default=0, help="stop after this long (0: no limit)")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    captions = load_captions(Path(args.captions))
    images = sorted({i for i, _ in captions})
    held = set(random.Random(args.seed).sample(images, len(images) // 20))
    train = [c for c in captions if c[0] not in held]
    val = [c for c in captions if c[0] in held]
    counts = collections.Counter(w for _, ws in train for w in ws)
    concepts = concept_vocabulary()
    # only words seen often enough get an embedding; any other concept goes through <thing>
    words = SPECIALS + sorted(w for w, n in counts.items() if n >= args.min_count)
    config = PhraseConfig()
    model = PhraseModel(config, words)
    index = model.index
    train_pairs = Pairs(train, concepts, index, config.max_len, args.seed)
    val_pairs = Pairs(val, concepts, index, config.max_len, args.seed + 1)
    steps = args.epochs * math.ceil(len(train_pairs.items) / args.batch_size)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, args.lr, total_steps=steps, pct_start=0.05)
    print(f"{len(words)} words, {len(concepts)} concepts, {len(train_pairs.items)} training / "
          f"{len(val_pairs.items)} held-out captions, {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters")
    t0, best, history = time.time(), float("inf"), []
    for epoch in range(1, args.epochs + 1):
        for src, inp, out in train_pairs.batches(args.batch_size):
            logits = model(src, inp)
            loss = F.cross_entropy(logits.flatten(0, 1), out.flatten(), ignore_index=0, label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
        val_loss = validation_loss(model, val_pairs, 256)
        minutes = (time.time() - t0) / 60
        history.append({"epoch": epoch, "train_loss": round(loss.item(), 4), "val_loss": round(val_loss, 4),
                        "minutes": round(minutes, 1)})
        print(history[-1], flush=True)
        if val_loss < best:
            best = val_loss
            model.save(args.out, {"val_loss": round(val_loss, 4), "epoch": epoch, "history": history,
                                  "minutes": round(minutes, 1), "recipe": vars(args), "concepts": sorted(concepts),
                                  "data": "COCO 2017 val captions (CC BY 4.0, the COCO Consortium)"})
        if args.max_minutes and minutes > args.max_minutes:
            break
    print(f"best held-out loss {best:.4f} nats/word -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
