"""Train the object head on the cached backbone maps (CenterNet losses), choose its thresholds
on the tune split, and ship it.

Targets per photo, on the 18x18 grid: a Gaussian peak per object at its centre cell (sigma
grows with the box), its size and the centre's offset inside the cell there; the photo-level
presence of each category trains the strongest cell too (so a class-folder photo counts even
where no teacher drew its box). Mirrored maps come with mirrored boxes. An epoch over ~7,600
photos takes about a minute on one core; a checkpoint per epoch in the cache makes it resumable.
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..objects import LABELS, ObjectHead
from .features import MID, open_cache
from .labels import choose_rule, photo_boxes
from .photos import Photo
from .teachers import Rule, read_labels

EPOCHS, BATCH, LR = 20, 64, 3e-3
DATA = ("COCO 2017 instance annotations (CC BY 4.0, the COCO Consortium); Open Images boxes (CC BY 4.0, Google); "
        "Penn-Fudan pedestrians (Wang, Shi et al. 2007); Natural Images (Roy et al. 2018) class folders; Flickr8k "
        "photos (Hodosh, Young and Hockenmaier 2013, research use); pseudo-labels from YOLOX-Nano (Apache-2.0), "
        "NanoDet-m (Apache-2.0) and Yolo-Fastest 1.1 XL (darknet licence), used as teachers only")
CLASS = {c: i for i, c in enumerate(LABELS)}


def targets(boxes: list[tuple], flip: bool, S: int = MID[1]) -> dict:
    heat = np.zeros((len(LABELS), S, S), np.float32)
    centres = []
    yy, xx = np.mgrid[:S, :S]
    for cat, cx, cy, w, h in boxes:
        cx = 1 - cx if flip else cx
        x, y = min(S - 1, int(cx * S)), min(S - 1, int(cy * S))
        sigma = max(0.5, 0.2 * math.sqrt(w * h) * S)
        g = np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma ** 2))
        c = CLASS[cat]
        heat[c] = np.maximum(heat[c], g)
        centres.append((c, y, x, w, h, cx * S - x, cy * S - y))
    present = np.zeros(len(LABELS), np.float32)
    present[[CLASS[b[0]] for b in boxes]] = 1
    return {"heat": heat, "centres": centres, "present": present}


def losses(model: ObjectHead, mid, top, batch: list[dict]) -> torch.Tensor:
    heat_logit, size, offset = model(mid, top)
    dev = heat_logit.device
    gt = torch.from_numpy(np.stack([b["heat"] for b in batch])).to(dev)
    p = torch.sigmoid(heat_logit).clamp(1e-4, 1 - 1e-4)
    pos = gt.eq(1).float()
    focal = -(pos * (1 - p) ** 2 * torch.log(p) + (1 - pos) * (1 - gt) ** 4 * p ** 2 * torch.log(1 - p)).sum()
    n_obj = max(1.0, float(pos.sum()))
    idx = [(i, y, x, w, h, ox, oy) for i, b in enumerate(batch) for (_, y, x, w, h, ox, oy) in b["centres"]]
    box_loss = torch.zeros((), device=dev)
    if idx:
        i, y, x = (torch.tensor([t[k] for t in idx], device=dev) for k in range(3))
        want = torch.tensor([t[3:] for t in idx], dtype=torch.float32, device=dev)
        box_loss = F.l1_loss(size[i, :, y, x], want[:, :2]) * 5 + F.l1_loss(offset[i, :, y, x], want[:, 2:])
    present = torch.from_numpy(np.stack([b["present"] for b in batch])).to(dev)
    image = F.binary_cross_entropy_with_logits(heat_logit.flatten(2).amax(-1), present)
    return focal / n_obj + box_loss + image


def photo_scores(model: ObjectHead, mid, top) -> np.ndarray:
    """(N, 80) the strongest cell's probability per category: the photo-level score."""
    with torch.no_grad():
        return torch.sigmoid(model(mid, top)[0].flatten(2).amax(-1)).numpy()


PERSON_PRECISION, PERSON_SHARE = 0.92, 0.5
OTHER_PRECISION = 0.85


def choose_thresholds(scores: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, dict]:
    """Per category, the lowest threshold whose photo-level precision on the tune split reaches
    0.92 for person and 0.85 for the rest (a caption must not invent; 0.8 left CHAIRs at 0.11 on
    COCO dev's natural mix, 0.9 lost subjects); categories the tune split
    barely has take the threshold chosen over all categories pooled. Person precision is
    reckoned at PERSON_SHARE, the world's share of photos with people (COCO's is about half;
    the tune split's is higher, and a threshold tuned there says "person" too easily)."""
    grid = np.round(np.arange(0.10, 0.91, 0.025), 3)

    def lowest(s, t, precision, share=None):
        for g in grid:
            said = s >= g
            if share is not None:   # precision as if `share` of the photos had the category
                hit, false = said[t].mean(), said[~t].mean()
                if hit and share * hit / (share * hit + (1 - share) * false) >= precision:
                    return float(g)
            elif said.sum() and (said & t).sum() / said.sum() >= precision:
                return float(g)
        return float(grid[-1])

    pooled = lowest(scores.ravel(), truth.ravel().astype(bool), 0.8)
    out, report = np.full(len(LABELS), pooled), {"pooled": pooled}
    for c, name in enumerate(LABELS):
        t = truth[:, c].astype(bool)
        if t.sum() >= 8:
            out[c] = (lowest(scores[:, c], t, PERSON_PRECISION, PERSON_SHARE) if name == "person"
                      else lowest(scores[:, c], t, OTHER_PRECISION))
            report[name] = float(out[c])
    return out, report


def train_objects(photos: list[Photo], cache: Path, out: Path, device: str = "cpu") -> None:
    from tqdm import tqdm
    teachers = read_labels(cache / "teachers")
    rule, f1 = choose_rule(photos, teachers)
    print(f"teacher rule: {rule} (photo-level micro F1 {f1:.3f} against complete real labels)")
    mid_all, top_all, done = open_cache(cache / "features", len(photos), "r")
    if not done.all():
        raise RuntimeError(f"the feature cache is incomplete ({done.sum()} of {len(photos)}): run --stage features")
    boxes = [photo_boxes(p, teachers, rule) for p in photos]
    train = [i for i, p in enumerate(photos) if p.split == "train"]
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    model = ObjectHead().to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=1e-4)
    steps = EPOCHS * math.ceil(len(train) / BATCH)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, LR, total_steps=steps, pct_start=0.05)
    state_path, start = cache / "objects.pt", 1
    if state_path.exists():
        state = torch.load(state_path, map_location="cpu", weights_only=True)
        model.load_state_dict(state["model"]), opt.load_state_dict(state["opt"]), sched.load_state_dict(state["sched"])
        start = state["epoch"] + 1
        print(f"resuming after epoch {state['epoch']}")
    t0 = time.time()
    for epoch in range(start, EPOCHS + 1):
        model.train()
        order = rng.permutation(train)
        flips = rng.integers(0, 2, len(order))
        total = 0.0
        for s in tqdm(range(0, len(order), BATCH), desc=f"objects epoch {epoch}/{EPOCHS}", leave=False):
            rows, fl = order[s:s + BATCH], flips[s:s + BATCH]
            mid = torch.from_numpy(np.stack([mid_all[i, f] for i, f in zip(rows, fl)]).astype(np.float32))
            top = torch.from_numpy(np.stack([top_all[i, f] for i, f in zip(rows, fl)]).astype(np.float32))
            loss = losses(model, mid.to(device), top.to(device), [targets(boxes[i], bool(f)) for i, f in zip(rows, fl)])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(rows)
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "epoch": epoch},
                   state_path)
        print(f"objects epoch {epoch}: loss {total / len(order):.4f} ({(time.time() - t0) / 60:.1f} min)", flush=True)
    model.eval().cpu()
    report = calibrate(model, photos, boxes, mid_all, top_all)
    model.save(out / "objects.safetensors", {"epochs": EPOCHS, "teacher_rule": rule.__dict__, "teacher_f1": round(f1, 4),
                                             "thresholds": report, "photos": len(train), "data": DATA})
    print(f"thresholds {json.dumps(report)} -> {out / 'objects.safetensors'}")


def calibrate(model: ObjectHead, photos: list[Photo], boxes: list[list], mid_all, top_all) -> dict:
    """Choose the head's thresholds on the tune split (its photo-level scores against the labels)."""
    tune = [i for i, p in enumerate(photos) if p.split == "tune"]
    scores = np.concatenate([photo_scores(model, torch.from_numpy(mid_all[tune[s:s + 128], 0].astype(np.float32)),
                                          torch.from_numpy(top_all[tune[s:s + 128], 0].astype(np.float32)))
                             for s in range(0, len(tune), 128)])
    truth = np.stack([targets(boxes[i], False)["present"] for i in tune])
    thresholds, report = choose_thresholds(scores, truth)
    model.thresholds.copy_(torch.from_numpy(thresholds))
    return report


def recalibrate(photos: list[Photo], cache: Path, out: Path) -> None:
    """The shipped head's thresholds chosen again on today's tune split, the weights unchanged."""
    model = ObjectHead.load(out / "objects.safetensors")
    teachers = read_labels(cache / "teachers")
    rule = Rule(**model.meta["teacher_rule"])
    mid_all, top_all, done = open_cache(cache / "features", len(photos), "r")
    tune = [i for i, p in enumerate(photos) if p.split == "tune"]
    if not done[tune].all():
        raise RuntimeError("the tune split's features are not all cached: run --stage features")
    boxes = [photo_boxes(p, teachers, rule) if p.split == "tune" else [] for p in photos]
    report = calibrate(model, photos, boxes, mid_all, top_all)
    model.save(out / "objects.safetensors", dict(model.meta, thresholds=report, recalibrated_on=len(tune)))
    print(f"thresholds {json.dumps(report)} -> {out / 'objects.safetensors'}")
