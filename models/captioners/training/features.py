"""Cache the frozen backbone's feature maps for every training photo, once.

The backbone never trains, so each photo's maps are computed one time (and once more mirrored,
the only augmentation a cache allows) and kept in two float16 arrays on disk: `mid` (N, 2, 112,
18, 18) and `top` (N, 2, 320, 9, 9) at 288 px. Rows follow load_photos' order (held-out
splits are computed first); `done.npy` marks the rows written, so a stopped run resumes where
it was (about 0.1 s a photo on 2 cores).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..base import load_image
from ..efficientnet_lite import SIGHT_SIDE, EfficientNetLite
from .photos import Photo

MID, TOP = (112, SIGHT_SIDE // 16), (320, SIGHT_SIDE // 32)


def open_cache(folder: Path, n: int, mode: str = "r+") -> tuple[np.memmap, np.memmap, np.ndarray]:
    folder.mkdir(parents=True, exist_ok=True)
    shapes = {"mid": (n, 2, MID[0], MID[1], MID[1]), "top": (n, 2, TOP[0], TOP[1], TOP[1])}
    maps = []
    for name, shape in shapes.items():
        path = folder / f"{name}.f16"
        if not path.exists():
            np.lib.format.open_memmap(path, "w+", np.float16, shape).flush()
        m = np.lib.format.open_memmap(path, mode)
        if m.shape != shape:
            raise RuntimeError(f"{path} holds {m.shape}, expected {shape}: delete the cache folder to rebuild it")
        maps.append(m)
    done_path = folder / "done.npy"
    done = np.load(done_path) if done_path.exists() else np.zeros(n, bool)
    if done.shape != (n,):
        raise RuntimeError(f"{done_path} is for {done.shape[0]} photos, not {n}: delete the cache folder")
    return maps[0], maps[1], done


@torch.inference_mode()
def cache_features(photos: list[Photo], folder: Path, device: str = "cpu", batch: int = 16) -> None:
    from tqdm import tqdm
    net = EfficientNetLite.from_wheel(device=device)
    mid, top, done = open_cache(folder, len(photos))
    # the photos that measure first, so that benchmarks can start while the training rows cache
    todo = sorted((i for i in range(len(photos)) if not done[i]), key=lambda i: photos[i].split == "train")
    bar = tqdm(total=len(photos), initial=len(photos) - len(todo), desc="backbone features", unit="photo")
    for start in range(0, len(todo), batch):
        rows = todo[start:start + batch]
        x = torch.cat([net.pixels(load_image(photos[i].path), SIGHT_SIDE) for i in rows])
        x = torch.cat([x, x.flip(-1)])
        m, t = net.features(x)
        m, t = m.float().cpu().numpy().astype(np.float16), t.float().cpu().numpy().astype(np.float16)
        for j, i in enumerate(rows):
            mid[i] = np.stack([m[j], m[j + len(rows)]])
            top[i] = np.stack([t[j], t[j + len(rows)]])
            done[i] = True
        mid.flush(), top.flush()
        np.save(folder / "done.npy", done)
        bar.update(len(rows))
    bar.close()
