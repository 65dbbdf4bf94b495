"""Train the caption decoder: first on caption text alone (the prior), then on the photos.

Stage `text`: the phrase model's task, concepts -> sentence, on the captions of the training
photos (COCO and Flickr8k) and Flickr30k's text (never a caption of a held-out photo: dev,
ftest, tune, coco-mini; nor one of a COCO photo that is not in ../shared: those may be
someone's held-back check). The model
already has its eyes (image_dim 1280) but reads no image here.
Stage `decoder`: the same model goes on with the photos: the concepts are the photo's labels
(real or agreed teachers', the largest four, with noise), the image cells are the backbone's
9x9 head map, mirrored photos come with left and right swapped. The epoch whose captions
score the best CIDEr-D on the tune split (concepts from the object head, as on the device)
ships. A checkpoint per epoch in the cache makes both stages resumable.
"""
from __future__ import annotations

import collections
import json
import math
import random
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..beam import beam_write
from ..coco_words import CONCEPT, concepts_in
from ..efficientnet_lite import EfficientNetLite
from ..metrics import cider_d
from ..objects import ObjectHead
from ..phrase import BOS, EOS, SPECIALS, THING, UNK, PhraseConfig, PhraseModel, concepts_of, tokens
from ..sight import classifier_adds, concepts_for
from ..word_table import shipped_table
from .features import open_cache
from .labels import photo_boxes
from .photos import HELD_OUT, Photo
from .teachers import Rule, read_labels

BATCH = 64
TEXT_EPOCHS, TEXT_LR = 10, 2e-3
PHOTO_EPOCHS, PHOTO_LR = 8, 5e-4
SLOT = 0.15   # how often a subject travels through the copy slot in training, as a word it never saw does
# COCO's captions count this many times: with the whole of Flickr8k counted once, its 30,000
# captions set the style and COCO dev's CIDEr fell 0.521 -> 0.495 while Flickr8k test's rose
COCO_WEIGHT = 2
SWAP = {"left": "right", "right": "left"}


def caption_texts(photos: list[Photo], shared: Path) -> list[list[str]]:
    """The prior's sentences, as neutral word tokens: the captions of the training photos (COCO
    and Flickr8k), then Flickr30k's, less every caption of a held-out photo (the same photo's
    Flickr30k captions largely repeat its Flickr8k ones: the photo is dropped by its id) and
    every caption already taken."""
    texts = [c for p in photos if p.split == "train" for c in p.captions]
    held = {p.path.name.split("_")[0].split(".")[0] for p in photos if p.split in HELD_OUT}
    path = Path(shared) / "data" / "captions" / "flickr30k" / "flickr30k_captions.tsv"
    if path.exists():
        seen = {" ".join(tokens(t)) for p in photos if p.split in HELD_OUT for t in p.captions}
        for line in path.read_text().splitlines()[1:]:
            image, _, text = line.split("\t", 2)
            if image.split(".")[0] not in held:
                texts.append(text)
        out, taken = [], set()
        for t in map(tokens, texts):
            key = " ".join(t)
            if key not in taken and key not in seen:
                taken.add(key)
                out.append(t)
        return out
    return [tokens(t) for t in texts]


def vocabulary(texts: list[list[str]], min_count: int = 3) -> list[str]:
    counts = collections.Counter(w for t in texts for w in t)
    concept_words = {w for one, many in CONCEPT.values() for c in (one, many) for w in c.split()}
    return SPECIALS + sorted({w for w, n in counts.items() if n >= min_count} | concept_words)


def label_concepts(boxes: list[tuple]) -> list[str]:
    """A photo's labels as the concepts the object head would give: the four largest categories."""
    area, count = collections.Counter(), collections.Counter()
    for cat, _, _, w, h in boxes:
        area[cat] += w * h
        count[cat] += 1
    return [CONCEPT[c][count[c] > 1] for c, _ in area.most_common(4)]


class Pairs:
    """(concept ids, word ids, image row) examples with fresh noise each epoch."""

    def __init__(self, items: list[tuple[list[str], list[str], int | None, bool]], index: dict, seed: int,
                 subjects: set[str] = frozenset()):
        self.items, self.index, self.rng, self.subjects = items, index, random.Random(seed), subjects
        self.concepts = sorted({one for one, _ in CONCEPT.values()})

    def example(self, concepts, words, noise):
        cs = list(concepts)
        if noise:
            self.rng.shuffle(cs)
            cs = [c for c in cs if c in ("person", "people") or self.rng.random() > 0.15] or cs[:1]
            if self.rng.random() < 0.1:
                cs.append(self.rng.choice(self.concepts))
        # a subject the model has no word for, and now and then one it has, goes through the slot
        # (at most one), as at run time: it learns to copy what it is told
        rare = [c for c in cs if c in self.subjects and (c not in self.index or noise and self.rng.random() < SLOT)]
        if rare:
            cs = [THING if c == rare[0] else c for c in cs]
            words = [THING if w in (rare[0], rare[0] + "s", rare[0] + "es") else w for w in words]
        unk = self.index[UNK]
        src = [self.index.get(w, unk) for c in cs for w in c.split()] or [unk]
        return src, [self.index.get(w, unk) for w in words[:24]]

    def batches(self, cells=None, noise: bool = True):
        order = list(range(len(self.items)))
        if noise:
            self.rng.shuffle(order)
        for s in range(0, len(order), BATCH):
            chunk = [self.items[j] for j in order[s:s + BATCH]]
            ex = [self.example(c, w, noise) for c, w, _, _ in chunk]
            src, inp, out = collate(ex, self.index)
            image = None if cells is None else torch.stack([cells(row, flip) for _, _, row, flip in chunk])
            yield src, inp, out, image


def collate(examples, index):
    C = max(len(c) for c, _ in examples)
    T = max(len(w) for _, w in examples) + 1
    src, inp, out = (torch.zeros(len(examples), n, dtype=torch.long) for n in (C, T, T))
    for i, (c, w) in enumerate(examples):
        src[i, :len(c)] = torch.tensor(c)
        inp[i, :len(w) + 1] = torch.tensor([index[BOS]] + w)
        out[i, :len(w) + 1] = torch.tensor(w + [index[EOS]])
    return src, inp, out


def n_batches(sources) -> int:
    return sum(math.ceil(len(pairs.items) / BATCH) for pairs, _ in sources)


def mixed(sources, rng: random.Random):
    """The batches of several (pairs, cells or None) sources, interleaved at random: photos with
    their cells, caption text without."""
    streams = [pairs.batches(cells) for pairs, cells in sources]
    order = [k for k, (pairs, _) in enumerate(sources) for _ in range(math.ceil(len(pairs.items) / BATCH))]
    rng.shuffle(order)
    for k in order:
        yield next(streams[k])


def fit(model, sources: list, epochs: int, lr: float, state_path: Path, evaluate=None, device="cpu",
        start_from: str = "text prior"):
    """Train on [(pairs, cells or None)] with label smoothing and a one-cycle schedule; a
    checkpoint per epoch resumes the run, but only a run that started from the same weights
    (`start_from`): a decoder.pt left by a refresh must not quietly replace a fresh start."""
    from tqdm import tqdm
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps = epochs * n_batches(sources)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps, pct_start=0.05)
    start, history = 1, []
    if state_path.exists():
        state = torch.load(state_path, map_location="cpu", weights_only=True)
        if state.get("start_from", start_from) != start_from:
            raise SystemExit(f"{state_path} is from a run that started from {state['start_from']}, not from "
                             f"{start_from}: move it aside to start this one, or pass the same --init to resume it")
        model.load_state_dict(state["model"]), opt.load_state_dict(state["opt"]), sched.load_state_dict(state["sched"])
        start, history = state["epoch"] + 1, json.loads(state["history"])
        print(f"resuming {state_path.name} after epoch {state['epoch']}")
    t0 = time.time()
    for epoch in range(start, epochs + 1):
        model.train()
        total = n = 0
        for src, inp, out, image in tqdm(mixed(sources, random.Random(epoch)), total=n_batches(sources),
                                         desc=f"{state_path.stem} epoch {epoch}/{epochs}", leave=False):
            image = None if image is None else image.to(device)
            logits = model(src.to(device), inp.to(device), image)
            loss = F.cross_entropy(logits.flatten(0, 1), out.to(device).flatten(), ignore_index=0, label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total, n = total + loss.item(), n + 1
        row = {"epoch": epoch, "train_loss": round(total / n, 4), "minutes": round((time.time() - t0) / 60, 1)}
        if evaluate:
            row.update(evaluate(model))
        history.append(row)
        print(json.dumps(row), flush=True)
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "epoch": epoch,
                    "history": json.dumps(history), "start_from": start_from}, state_path)
        if evaluate and row["cider"] >= max(h["cider"] for h in history):
            torch.save(model.state_dict(), state_path.with_suffix(".best.pt"))
    return history


def train_text(photos: list[Photo], shared: Path, cache: Path, device: str = "cpu", epochs: int = TEXT_EPOCHS,
               lr: float = TEXT_LR) -> None:
    texts = caption_texts(photos, shared)
    words = vocabulary(texts)
    model = PhraseModel(PhraseConfig(image_dim=1280), words).to(device)
    subjects = shipped_table().subjects
    items = [(concepts_in(" ".join(t)) + concepts_of(t, subjects), t, None, False) for t in texts]
    print(f"text prior: {len(texts)} captions, {len(words)} words, "
          f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters")
    (cache / "words.json").write_text(json.dumps(words))
    torch.manual_seed(0)
    fit(model, [(Pairs(items, model.index, 0, subjects), None)], epochs, lr, cache / "text.pt", device=device)


class Cells:
    """The decoder's image cells for every captioned photo, both ways round: (81, 1280) each;
    and the ImageNet class probabilities of each photo as it is (`probs`, (1000,) each)."""

    def __init__(self, rows: list[int], top_maps, device="cpu"):
        net = EfficientNetLite.from_wheel()
        self.at, self.maps, probs = {r: k for k, r in enumerate(rows)}, [], []
        with torch.inference_mode():
            for s in range(0, len(rows), 64):
                t = torch.from_numpy(top_maps[rows[s:s + 64]].astype(np.float32))   # (n, 2, 320, 9, 9)
                m = net.head_map(t.flatten(0, 1))
                probs.append(net.probabilities(m).view(-1, 2, 1000)[:, 0].numpy())
                h = m.flatten(2).transpose(1, 2)                                      # (2n, 81, 1280)
                self.maps.append(h.half().view(-1, 2, *h.shape[1:]))
        self.maps, self.probs = torch.cat(self.maps), np.concatenate(probs)

    def classes(self, row: int) -> np.ndarray:
        return self.probs[self.at[row]]

    def __call__(self, row: int, flip: bool) -> torch.Tensor:
        return self.maps[self.at[row], int(flip)].float()


def train_photos(photos: list[Photo], shared: Path, cache: Path, out: Path, device: str = "cpu",
                 init: Path | None = None, epochs: int = PHOTO_EPOCHS, lr: float = PHOTO_LR) -> None:
    """The decoder on the photos, from the text prior (or, with `init`, from a decoder already
    trained: a shorter refresh), with the caption text that names a subject only ImageNet knows
    mixed in, so that the decoder learns to write around such a concept."""
    if init:
        model = PhraseModel.load(init).train()
    else:
        model = PhraseModel(PhraseConfig(image_dim=1280), json.loads((cache / "words.json").read_text()))
        model.load_state_dict(torch.load(cache / "text.pt", map_location="cpu", weights_only=True)["model"])
    model.to(device)
    table = shipped_table()
    head = ObjectHead.load(out / "objects.safetensors")
    teachers = read_labels(cache / "teachers")
    rule = Rule(**head.meta["teacher_rule"])
    mid_all, top_all, _ = open_cache(cache / "features", len(photos), "r")
    rows = [i for i, p in enumerate(photos) if p.captions and p.split in ("train", "tune")]
    cells = Cells(rows, top_all)
    items = []
    for i in rows:
        if photos[i].split != "train":
            continue
        concepts = label_concepts(photo_boxes(photos[i], teachers, rule))
        _, subject = classifier_adds(table, cells.classes(i))
        for c in photos[i].captions * (COCO_WEIGHT if photos[i].source.startswith("coco") else 1):
            t = tokens(c)
            said = concepts + [subject] if subject in concepts_of(t, table.subjects) else concepts
            items.append((said, t, i, False))
            items.append((said, [SWAP.get(w, w) for w in t], i, True))
    texts = [(concepts_in(" ".join(t)) + named, t, None, False) for t in caption_texts(photos, shared)
             if (named := concepts_of(t, table.subjects))]
    tune = [i for i in rows if photos[i].split == "tune"]
    print(f"decoder on photos: {len(items) // 2} captions (COCO's {COCO_WEIGHT}x) of {len({r for _, _, r, _ in items})} photos, "
          f"{len(texts)} caption texts naming a subject, tune {len(tune)} photos")

    def evaluate(m):
        m.eval()
        cands = []
        for i in tune:
            found = head.find(torch.from_numpy(mid_all[i:i + 1, 0].astype(np.float32)),
                              torch.from_numpy(top_all[i:i + 1, 0].astype(np.float32)))
            concepts, allowed = concepts_for(found, *classifier_adds(table, cells.classes(i)))
            image = cells(i, False)[None].to(next(m.parameters()).device)
            cands.append(beam_write(m, concepts, image=image, allowed=allowed))
        return {"cider": round(cider_d(cands, [photos[i].captions for i in tune]), 4), "example": cands[0]}

    torch.manual_seed(0)
    sources = [(Pairs(items, model.index, 1, table.subjects), cells), (Pairs(texts, model.index, 2, table.subjects), None)]
    history = fit(model, sources, epochs, lr, cache / "decoder.pt", evaluate, device, str(init or "text prior"))
    best = max(history, key=lambda h: h["cider"])
    model.load_state_dict(torch.load(cache / "decoder.best.pt", map_location="cpu", weights_only=True))
    model.save(out / "sight_decoder.safetensors",
               {"epoch": best["epoch"], "tune_cider": best["cider"], "history": history, "concepts": sorted(
                   {w for one, many in CONCEPT.values() for w in (one, many)}), "init": str(init or "text prior"),
                "data": "COCO 2017 val captions and photos (CC BY 4.0, the COCO Consortium); Flickr8k captions "
                        "(Hodosh, Young, Hockenmaier 2013)"})
    print(f"decoder: tune CIDEr-D {best['cider']} (epoch {best['epoch']}) -> {out / 'sight_decoder.safetensors'}")
