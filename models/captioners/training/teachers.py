"""The teachers: three COCO detectors that label the photos the project's own head learns from.

They are opened here and nowhere else (never by the captioner the device runs; a test holds
it): this module reads ../shared/models/detectors, labels every photo once and caches the boxes,
(category, score, cx, cy, w, h) as fractions of the photo, above a low score so that the
thresholds can be chosen later without running them again.

    label_all(photos, shared, cache)      # teachers/<name>.jsonl, one line a photo, resumable
    agreed(boxes_by_teacher, rule)        # the boxes at least `rule.votes` teachers agree on
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..objects import overlap as iou
from .photos import COCO80, Photo

FLOOR = 0.1          # boxes kept in the cache; thresholds are chosen above it
NMS_IOU = 0.5


def _nms(boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray) -> list[tuple]:
    """Per-class NMS; boxes (N, 4) x0 y0 x1 y1 as fractions -> [(cat, score, cx, cy, w, h)]."""
    out = []
    for c in np.unique(classes):
        i = np.flatnonzero(classes == c)
        xywh = [[float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])] for b in boxes[i]]
        for k in np.array(cv2.dnn.NMSBoxes(xywh, scores[i].tolist(), FLOOR, NMS_IOU)).flatten():
            x0, y0, w, h = xywh[k]
            out.append((COCO80[int(c)], round(float(scores[i][k]), 4), round(x0 + w / 2, 4), round(y0 + h / 2, 4),
                        round(w, 4), round(h, 4)))
    return out


class YoloxNano:
    name, side = "yolox-nano", 416

    def __init__(self, folder: Path):
        self.net = cv2.dnn.readNetFromONNX(str(folder / "yolox-nano" / "yolox_nano.onnx"))
        grids, strides = [], []
        for s in (8, 16, 32):
            n = self.side // s
            yy, xx = np.mgrid[:n, :n]
            grids.append(np.stack([xx.ravel(), yy.ravel()], 1))
            strides.append(np.full((n * n, 1), s))
        self.grid, self.stride = np.concatenate(grids), np.concatenate(strides)

    def detect(self, bgr: np.ndarray) -> list[tuple]:
        H, W = bgr.shape[:2]
        r = min(self.side / H, self.side / W)
        canvas = np.full((self.side, self.side, 3), 114, np.uint8)
        canvas[:int(H * r), :int(W * r)] = cv2.resize(bgr, (int(W * r), int(H * r)), interpolation=cv2.INTER_LINEAR)
        self.net.setInput(cv2.dnn.blobFromImage(canvas, 1.0, swapRB=False))
        p = self.net.forward()[0]
        xy = (p[:, :2] + self.grid) * self.stride / r
        wh = np.exp(p[:, 2:4]) * self.stride / r
        scores = p[:, 4:5] * p[:, 5:]
        c, s = scores.argmax(1), scores.max(1)
        keep = s >= FLOOR
        boxes = np.concatenate([xy - wh / 2, xy + wh / 2], 1)[keep] / [W, H, W, H]
        return _nms(boxes.clip(0, 1), s[keep], c[keep])


class NanoDet:
    name, side = "nanodet-m", 320
    MEAN, STD = np.array([103.53, 116.28, 123.675]), np.array([57.375, 57.12, 58.395])

    def __init__(self, folder: Path):
        self.net = cv2.dnn.readNetFromONNX(str(folder / "nanodet-m" / "nanodet_m_320.onnx"))
        self.names = [f"{k}_pred_stride_{s}" for s in (8, 16, 32) for k in ("cls", "dis")]

    def detect(self, bgr: np.ndarray) -> list[tuple]:
        H, W = bgr.shape[:2]
        x = (cv2.resize(bgr, (self.side, self.side)).astype(np.float32) - self.MEAN) / self.STD
        self.net.setInput(cv2.dnn.blobFromImage(x.astype(np.float32), 1.0, swapRB=False))
        outs = dict(zip(self.names, self.net.forward(self.names)))
        boxes, scores, classes = [], [], []
        for s in (8, 16, 32):
            n = self.side // s
            cls, dis = outs[f"cls_pred_stride_{s}"][0], outs[f"dis_pred_stride_{s}"][0]
            yy, xx = np.mgrid[:n, :n]
            centre = (np.stack([xx.ravel(), yy.ravel()], 1) + 0.5) * s
            d = dis.reshape(-1, 4, 8)
            d = np.exp(d - d.max(-1, keepdims=True))
            dist = (d / d.sum(-1, keepdims=True) @ np.arange(8)) * s
            keep = cls.max(1) >= FLOOR
            boxes.append(np.concatenate([centre - dist[:, :2], centre + dist[:, 2:]], 1)[keep])
            scores.append(cls.max(1)[keep])
            classes.append(cls.argmax(1)[keep])
        boxes = np.concatenate(boxes) / self.side
        return _nms(boxes.clip(0, 1), np.concatenate(scores), np.concatenate(classes))


class YoloFastest:
    name, side = "yolo-fastest-xl", 320

    def __init__(self, folder: Path):
        d = folder / "yolo-fastest-1.1-xl"
        self.net = cv2.dnn.readNetFromDarknet(str(d / "yolo-fastest-1.1-xl.cfg"), str(d / "yolo-fastest-1.1-xl.weights"))
        self.outputs = self.net.getUnconnectedOutLayersNames()

    def detect(self, bgr: np.ndarray) -> list[tuple]:
        self.net.setInput(cv2.dnn.blobFromImage(bgr, 1 / 255, (self.side, self.side), swapRB=True, crop=False))
        p = np.concatenate(self.net.forward(self.outputs))
        scores = p[:, 5:]
        c, s = scores.argmax(1), scores.max(1)
        keep = s >= FLOOR
        xy, wh = p[keep, :2], p[keep, 2:4]
        return _nms(np.concatenate([xy - wh / 2, xy + wh / 2], 1).clip(0, 1), s[keep], c[keep])


TEACHERS = (YoloxNano, NanoDet, YoloFastest)


def label_all(photos: list[Photo], shared: Path, cache: Path) -> None:
    """Run every teacher on every photo (one line per photo per teacher; resumes)."""
    from tqdm import tqdm
    cv2.setNumThreads(1)
    folder = Path(shared) / "models" / "detectors"
    cache.mkdir(parents=True, exist_ok=True)
    for cls in TEACHERS:
        path = cache / f"{cls.name}.jsonl"
        done = {json.loads(line)["key"] for line in path.read_text().splitlines()} if path.exists() else set()
        todo = [p for p in photos if p.key not in done]
        if not todo:
            continue
        teacher = cls(folder)
        with open(path, "a") as f:
            for p in tqdm(todo, desc=cls.name, unit="photo"):
                bgr = cv2.imread(str(p.path))
                f.write(json.dumps({"key": p.key, "boxes": teacher.detect(bgr)}) + "\n")
                f.flush()


def read_labels(cache: Path) -> dict[str, dict[str, list[tuple]]]:
    """teacher name -> photo key -> its cached boxes."""
    out = {}
    for cls in TEACHERS:
        path = cache / f"{cls.name}.jsonl"
        out[cls.name] = {d["key"]: [tuple(b) for b in d["boxes"]] for d in map(json.loads, path.read_text().splitlines())}
    return out


@dataclass
class Rule:
    """A box is a label when `votes` teachers find it (same category, IoU >= 0.5), each above
    `score`, or when one teacher alone is above `alone`."""
    score: float = 0.3
    votes: int = 2
    alone: float = 0.6


def agreed(by_teacher: list[list[tuple]], rule: Rule) -> list[tuple]:
    """The boxes the teachers agree on, (category, score, cx, cy, w, h), averaged over voters."""
    pool = sorted(((b, t) for t, boxes in enumerate(by_teacher) for b in boxes if b[1] >= rule.score),
                  key=lambda bt: -bt[0][1])
    used, out = set(), []
    for i, (b, t) in enumerate(pool):
        if i in used:
            continue
        group = [(b, t)]
        for j in range(i + 1, len(pool)):
            c, u = pool[j]
            if j not in used and c[0] == b[0] and u not in {g[1] for g in group} and iou(b[2:], c[2:]) >= 0.5:
                group.append((c, u))
                used.add(j)
        if len(group) >= rule.votes or b[1] >= rule.alone:
            box = np.mean([g[0][2:] for g in group], 0)
            out.append((b[0], round(float(np.mean([g[0][1] for g in group])), 4), *map(float, box)))
    return out
