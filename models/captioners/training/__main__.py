"""The one command that trains the eyes from ../shared, stage by stage, each resumable.

    python -m models.captioners.training --shared ../shared            # every stage, in order
    python -m models.captioners.training --shared ../shared --stage features
    python -m models.captioners.training --shared ../shared --stage decoder \
        --init models/shipped/sight_decoder.safetensors --epochs 2 --lr 2e-4    # a refresh of the shipped decoder

Stages: features (the backbone's maps, cached), teachers (the three detectors' boxes, cached),
objects (the object head), settings (the setting head), text (the decoder's prior on caption
text), decoder (the decoder on photos). Caches live in --cache (default ~/.cache/narrator/eyes); the trained weights go
to models/shipped/. A GPU is used when present.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from . import CACHE

STAGES = ("features", "teachers", "objects", "settings", "text", "decoder")
EXTRA = ("calibrate",)   # the shipped object head's thresholds, chosen again on the tune split
SHIPPED = Path(__file__).resolve().parents[2] / "shipped"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[4] / "shared")
    p.add_argument("--cache", type=Path, default=CACHE)
    p.add_argument("--stage", choices=STAGES + EXTRA + ("all",), default="all")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--out", type=Path, default=SHIPPED)
    p.add_argument("--init", type=Path, help="decoder stage: start from this decoder (e.g. the shipped one), "
                                             "not from the text prior")
    p.add_argument("--epochs", type=int, help="text and decoder stages: epochs (default 10 and 8; 2 are plenty "
                                              "after --init)")
    p.add_argument("--lr", type=float, help="text and decoder stages: peak learning rate (default 2e-3 and 5e-4)")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    from .photos import load_photos
    photos = load_photos(args.shared)
    stages = STAGES if args.stage == "all" else (args.stage,)
    for stage in stages:
        t0 = time.time()
        if stage == "features":
            from .features import cache_features
            cache_features(photos, args.cache / "features", device)
        elif stage == "teachers":
            from .teachers import label_all
            label_all(photos, args.shared, args.cache / "teachers")
        elif stage == "objects":
            from .train_objects import train_objects
            train_objects(photos, args.cache, args.out, device)
        elif stage == "calibrate":
            from .train_objects import recalibrate
            recalibrate(photos, args.cache, args.out)
        elif stage == "settings":
            from .train_settings import train_settings
            train_settings(photos, args.cache, args.out, device)
        elif stage == "text":
            from .train_decoder import TEXT_EPOCHS, TEXT_LR, train_text
            train_text(photos, args.shared, args.cache, device, args.epochs or TEXT_EPOCHS, args.lr or TEXT_LR)
        elif stage == "decoder":
            from .train_decoder import PHOTO_EPOCHS, PHOTO_LR, train_photos
            train_photos(photos, args.shared, args.cache, args.out, device, args.init,
                         args.epochs or PHOTO_EPOCHS, args.lr or PHOTO_LR)
        print(f"stage {stage}: {time.time() - t0:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
