"""How often is the ImageNet classifier right when sight lets it add a word?

    python benchmarks/classifier_bench.py [--shared ../shared] [--split train]

`sight.classifier_adds` lets the backbone's own ImageNet classifier add a COCO category the
object head missed (evidence >= CLASSIFIER_COCO_MIN) and a subject only it can name
(SUBJECT_MIN). This prints, for each threshold, how many photos of --split such a word would be
added to and the share whose human captions name it (a lower bound on precision: a wheel that
is there but unmentioned counts as wrong), then the subjects most often added wrongly at the
shipped threshold. The training photos are a fair place to choose: the classifier never saw them,
and there are 8,604 of them (the tune split has 7 photos where a subject fires). Reads the
backbone's maps from the training cache (`python -m models.captioners.training --stage
features`); a minute on one thread.
"""
from __future__ import annotations

import argparse
import collections
from pathlib import Path

from common import ROOT

import numpy as np
import torch

from models.captioners.coco_words import concepts_in, forms
from models.captioners.efficientnet_lite import EfficientNetLite
from models.captioners.phrase import concepts_of, tokens
from models.captioners.sight import CLASSIFIER_COCO_MIN, SUBJECT_MIN
from models.captioners.training import CACHE
from models.captioners.training.features import open_cache
from models.captioners.training.photos import load_photos
from models.captioners.word_table import shipped_table

THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


def class_probs(top_maps, rows: list[int]) -> np.ndarray:
    """(len(rows), 1000) ImageNet probabilities of each photo as it is (not mirrored)."""
    net, out = EfficientNetLite.from_wheel(), []
    with torch.inference_mode():
        for s in range(0, len(rows), 128):
            t = torch.from_numpy(top_maps[rows[s:s + 128], 0].astype(np.float32))
            out.append(net.probabilities(net.head_map(t)).numpy())
    return np.concatenate(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    p.add_argument("--split", default="train")
    args = p.parse_args()
    if not (CACHE / "features").exists():
        raise SystemExit(f"no feature cache in {CACHE / 'features'}: run "
                         "`python -m models.captioners.training --shared ../shared --stage features` first")
    torch.set_num_threads(1)
    photos = load_photos(args.shared)
    _, top, _ = open_cache(CACHE / "features", len(photos), "r")
    rows = [i for i, ph in enumerate(photos) if ph.captions and ph.split == args.split]
    table = shipped_table()
    fired = {kind: collections.Counter() for kind in ("coco", "subject")}
    right = {kind: collections.Counter() for kind in ("coco", "subject")}
    wrong = collections.Counter()
    for i, probs in zip(rows, class_probs(top, rows)):
        evidence = table.evidence(probs)
        caps = photos[i].captions
        said = {"coco": {w for c in caps for w in concepts_in(c)},
                "subject": {w for c in caps for w in concepts_of(tokens(c), table.subjects)}}
        for kind, among in (("coco", table.coco_concepts), ("subject", table.subjects)):
            word, strength = table.strongest(evidence, among, -1.0) or (None, -1.0)
            ok = bool(word and forms(word) & said[kind])
            for t in THRESHOLDS:
                if strength >= t:
                    fired[kind][t] += 1
                    right[kind][t] += ok
            if kind == "subject" and strength >= SUBJECT_MIN and not ok:
                wrong[word] += 1
    print(f"{len(rows)} photos of the {args.split} split; shipped: COCO >= {CLASSIFIER_COCO_MIN}, "
          f"subject >= {SUBJECT_MIN}")
    print(f"{'evidence >=':>12} {'COCO adds':>10} {'named':>6} {'subjects':>9} {'named':>6}")
    for t in THRESHOLDS:
        print(f"{t:>12} " + " ".join(f"{fired[k][t]:>{w}} {right[k][t] / max(1, fired[k][t]):>6.2f}"
                                     for k, w in (("coco", 10), ("subject", 9))))
    print("subjects added and unnamed at the shipped threshold:",
          ", ".join(f"{w} {n}" for w, n in wrong.most_common(12)) or "none")


if __name__ == "__main__":
    main()
