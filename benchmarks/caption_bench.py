"""Captioning speed of the built-in `scene` captioner on 1280x720 frames.

    python benchmarks/caption_bench.py [--frames 20] [--image FILE...]

Uses generated scenes (plain walls, sky and field, busy clutter, noise) unless image files are
given; prints a table of milliseconds per frame (median and worst). Target: well under 200 ms.
"""
from __future__ import annotations

import argparse
import statistics
import time

import cv2
import numpy as np

from models.captioners import get_captioner, load_image


def generated_scenes(n: int) -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        kind = ["wall", "sky", "busy", "noise"][i % 4]
        img = np.full((720, 1280, 3), rng.integers(0, 255, 3), np.uint8)
        if kind == "sky":
            img[:400] = (90, 140, 230)
        elif kind == "busy":
            for _ in range(300):
                x, y = (int(v) for v in rng.integers(0, [1280, 720]))
                cv2.rectangle(img, (x, y), (x + 40, y + 30), tuple(int(v) for v in rng.integers(0, 255, 3)), 2)
        elif kind == "noise":
            img = rng.integers(0, 255, (720, 1280, 3), dtype=np.uint8)
        out.append((kind, img))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--frames", type=int, default=20)
    p.add_argument("--image", nargs="*", default=[])
    args = p.parse_args()
    frames = [(f, cv2.resize(load_image(f), (1280, 720))) for f in args.image] or generated_scenes(args.frames)
    captioner = get_captioner("scene")
    captioner.caption(frames[0][1])  # warm-up
    by_kind: dict[str, list[float]] = {}
    for kind, img in frames:
        t0 = time.perf_counter()
        captioner.caption(img)
        by_kind.setdefault(kind, []).append((time.perf_counter() - t0) * 1000)
    print(f"scene captioner, 1280x720, {cv2.getNumThreads()} OpenCV threads")
    print(f"{'scene':<24} {'frames':>6} {'median ms':>10} {'worst ms':>9}")
    for kind, ms in by_kind.items():
        print(f"{kind[:24]:<24} {len(ms):>6} {statistics.median(ms):>10.1f} {max(ms):>9.1f}")
    everything = [m for ms in by_kind.values() for m in ms]
    print(f"{'all':<24} {len(everything):>6} {statistics.median(everything):>10.1f} {max(everything):>9.1f}")


if __name__ == "__main__":
    main()
