"""Train the setting head on the cached backbone maps, from weak labels, and choose its
thresholds on the tune split.

The label of a photo is, per setting group (settings.py), the share of its five human captions
that name it: "a dog runs through the grass" x 3 and "a dog plays outside" x 2 make field 0.6.
No box and no person is needed, so every captioned photo teaches it (COCO val2017 and the
whole Flickr8k train split), mirrored too. A group is supported above the lowest threshold
whose precision on the tune split (against "at least one human caption names it") reaches
PRECISION; a group that never gets there is never supported, so the caption never says it.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..efficientnet_lite import EfficientNetLite
from ..setting_head import NAMES, SettingHead
from ..settings import settings_named
from .features import open_cache
from .photos import Photo

EPOCHS, BATCH, LR, DECAY = 30, 256, 1e-3, 1e-2
PRECISION, MIN_SAID = 0.7, 8
DATA = ("COCO 2017 captions (CC BY 4.0, the COCO Consortium); Flickr8k captions (Hodosh, Young and Hockenmaier "
        "2013, research use)")


def weak_labels(photo: Photo) -> np.ndarray:
    named = [settings_named(c) for c in photo.captions]
    return np.array([sum(g in n for n in named) / len(named) for g in NAMES], np.float32)


@torch.inference_mode()
def pooled_maps(net: EfficientNetLite, top_all, rows: list[int], flip: int, device: str) -> torch.Tensor:
    out = []
    for s in range(0, len(rows), 256):
        top = torch.from_numpy(top_all[rows[s:s + 256], flip].astype(np.float32)).to(device)
        out.append(SettingHead.pooled(net.head_map(top)).cpu())
    return torch.cat(out) if out else torch.zeros(0, 1)


def choose_thresholds(p: np.ndarray, said: np.ndarray) -> tuple[np.ndarray, dict]:
    thresholds, report = np.full(len(NAMES), 1.01, np.float32), {}
    for g, name in enumerate(NAMES):
        for t in np.arange(0.05, 0.96, 0.025):
            yes = p[:, g] >= t
            if yes.sum() >= MIN_SAID and said[yes, g].mean() >= PRECISION:
                thresholds[g] = round(float(t), 3)
                break
        yes = p[:, g] >= thresholds[g]
        report[name] = {"threshold": float(thresholds[g]), "precision": round(float(said[yes, g].mean()), 3) if yes.any()
                        else None, "recall": round(float(yes[said[:, g]].mean()), 3) if said[:, g].any() else None}
    return thresholds, report


def train_settings(photos: list[Photo], cache: Path, out: Path, device: str = "cpu") -> None:
    net = EfficientNetLite.from_wheel(device=device)
    _, top_all, done = open_cache(cache / "features", len(photos), "r")
    captioned = [i for i, p in enumerate(photos) if len(p.captions) >= 5 and done[i]]
    train = [i for i in captioned if photos[i].split == "train"]
    tune = [i for i in captioned if photos[i].split == "tune"]
    t0 = time.time()
    x = torch.cat([pooled_maps(net, top_all, train, f, device) for f in (0, 1)])
    y = torch.from_numpy(np.stack([weak_labels(photos[i]) for i in train] * 2))
    print(f"settings: {len(train)} training photos (x2 mirrored), {len(tune)} tune; maps pooled in "
          f"{time.time() - t0:.0f} s", flush=True)
    torch.manual_seed(0)
    model = SettingHead()
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=DECAY)
    for epoch in range(1, EPOCHS + 1):
        order, total = torch.randperm(len(x)), 0.0
        for s in range(0, len(x), BATCH):
            rows = order[s:s + BATCH]
            loss = F.binary_cross_entropy_with_logits(model(x[rows]), y[rows])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(rows)
        if epoch % 10 == 0:
            print(f"settings epoch {epoch}: loss {total / len(x):.4f}", flush=True)
    model.eval()
    with torch.inference_mode():
        p = torch.sigmoid(model(pooled_maps(net, top_all, tune, 0, device))).numpy()
    said = np.stack([weak_labels(photos[i]) > 0 for i in tune])
    thresholds, report = choose_thresholds(p, said)
    model.thresholds.copy_(torch.from_numpy(thresholds))
    model.save(out / "settings.safetensors", {"epochs": EPOCHS, "photos": len(train), "tune_photos": len(tune),
                                              "precision": PRECISION, "thresholds": report, "data": DATA})
    print(f"thresholds {json.dumps(report)} -> {out / 'settings.safetensors'}")
