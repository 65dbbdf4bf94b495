"""The object head: which COCO categories are in the photo, how many, where and how big.

    head = ObjectHead.load()                          # models/shipped/objects.safetensors
    found = head.find(mid, top)                       # [Found(label, score, box)], best first

A small CenterNet (Zhou et al. 2019, "Objects as Points") on the frozen backbone's maps: the
stride-32 map is brought up to the stride-16 grid (18x18 at 288 px) and added to it, two 3x3
convolutions read the sum, and 1x1 convolutions give, per cell, a heat per category (an
object's centre is a peak), the object's width and height and its centre's offset inside the
cell. An object is a local peak above its category's threshold; thresholds were chosen on
photos no model trained on (models/README.md). Trained by `python -m models.captioners.training`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..errors import ModelError
from .coco_words import CATEGORIES

SHIPPED = Path(__file__).resolve().parents[1] / "shipped" / "objects.safetensors"
FORMAT = "narrator-objects/1"
LABELS = list(CATEGORIES)
MAX_OBJECTS = 20
SAME_OBJECT = 0.45    # two peaks of one category whose boxes overlap this much (IoU) are one object,
INSIDE = 0.8          # or when this much of the smaller box lies inside the larger


class ObjectsError(ModelError, ValueError):
    """An object-head file is missing, corrupt, or not an object head."""


@dataclass
class ObjectsConfig:
    mid_channels: int = 112
    top_channels: int = 320
    width: int = 96
    classes: int = len(LABELS)


@dataclass
class Found:
    label: str
    score: float
    box: tuple[float, float, float, float]   # cx, cy, w, h as fractions of the frame

    def to_dict(self) -> dict:
        return {"label": self.label, "score": round(self.score, 3), "box": [round(v, 3) for v in self.box]}


def _intersection(a: tuple, b: tuple) -> float:
    ax0, ay0, ax1, ay1 = a[0] - a[2] / 2, a[1] - a[3] / 2, a[0] + a[2] / 2, a[1] + a[3] / 2
    bx0, by0, bx1, by1 = b[0] - b[2] / 2, b[1] - b[3] / 2, b[0] + b[2] / 2, b[1] + b[3] / 2
    return max(0.0, min(ax1, bx1) - max(ax0, bx0)) * max(0.0, min(ay1, by1) - max(ay0, by0))


def overlap(a: tuple, b: tuple) -> float:
    """IoU of two (cx, cy, w, h) boxes."""
    inter = _intersection(a, b)
    return inter / max(1e-9, a[2] * a[3] + b[2] * b[3] - inter)


def one_peak_each(found: list[Found]) -> list[Found]:
    """Best first, without the weaker peaks of an object already found: a large object (a
    portrait's one woman) can raise two peaks, head and shoulders and the whole figure, and two
    peaks would be counted "a group of people". Two boxes of one category are one object when
    they overlap (IoU >= SAME_OBJECT) or one lies almost wholly inside the other (INSIDE of the
    smaller's area)."""
    kept: list[Found] = []
    for f in found:
        if not any(k.label == f.label and (overlap(k.box, f.box) >= SAME_OBJECT or _intersection(k.box, f.box)
                                           >= INSIDE * min(k.box[2] * k.box[3], f.box[2] * f.box[3]))
                   for k in kept):
            kept.append(f)
    return kept


def _conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class ObjectHead(nn.Module):
    def __init__(self, config: ObjectsConfig = ObjectsConfig()):
        super().__init__()
        c = self.config = config
        self.mid = nn.Conv2d(c.mid_channels, c.width, 1)
        self.top = nn.Conv2d(c.top_channels, c.width, 1)
        self.body = nn.Sequential(_conv(c.width, c.width), _conv(c.width, c.width))
        self.heat = nn.Conv2d(c.width, c.classes, 1)
        self.size = nn.Conv2d(c.width, 2, 1)
        self.offset = nn.Conv2d(c.width, 2, 1)
        nn.init.constant_(self.heat.bias, -4.6)   # every cell starts near "nothing here" (p 0.01)
        # per-category score thresholds; a default until training measures them
        self.register_buffer("thresholds", torch.full((c.classes,), 0.3))

    def forward(self, mid: torch.Tensor, top: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """mid (N, 112, S, S), top (N, 320, S/2, S/2) -> heat logits (N, 80, S, S), size (N, 2,
        S, S) as fractions of the frame, offset (N, 2, S, S) inside the cell."""
        x = self.mid(mid) + F.interpolate(self.top(top), size=mid.shape[-2:], mode="nearest")
        x = self.body(x)
        return self.heat(x), torch.sigmoid(self.size(x)), torch.sigmoid(self.offset(x))

    @torch.inference_mode()
    def find(self, mid: torch.Tensor, top: torch.Tensor, floor: float | None = None) -> list[Found]:
        """The objects in one photo, best first: local heat peaks above their category's
        threshold (or above `floor` for every category, to measure)."""
        heat, size, offset = (t[0].float() for t in self(mid, top))
        p = torch.sigmoid(heat)
        peaks = p * (p == F.max_pool2d(p[None], 3, 1, 1)[0])
        limit = torch.full_like(self.thresholds, floor) if floor is not None else self.thresholds.float()
        cls, ys, xs = torch.nonzero(peaks >= limit[:, None, None], as_tuple=True)
        S = p.shape[-1]
        found = []
        for c, y, x in zip(cls.tolist(), ys.tolist(), xs.tolist()):
            box = ((x + offset[0, y, x].item()) / S, (y + offset[1, y, x].item()) / S,
                   size[0, y, x].item(), size[1, y, x].item())
            found.append(Found(LABELS[c], float(peaks[c, y, x]), box))
        return one_peak_each(sorted(found, key=lambda f: -f.score))[:MAX_OBJECTS]

    # -- files ----------------------------------------------------------------------------------

    def save(self, path: str | Path, meta: dict) -> None:
        from .weights import write_weights
        tensors = {k: v.detach().to("cpu", torch.float16 if v.is_floating_point() else v.dtype).contiguous()
                   for k, v in self.state_dict().items()}
        write_weights(Path(path), tensors, dict(meta, format=FORMAT, config=asdict(self.config), labels=LABELS))

    @classmethod
    def load(cls, path: str | Path | None = None, device: str | torch.device = "cpu") -> "ObjectHead":
        from .weights import read_weights
        path = Path(path or SHIPPED)
        tensors, meta = read_weights(path, FORMAT, ObjectsError, "object head")
        try:
            config = ObjectsConfig(**meta["config"])
            bounds = {"mid_channels": 4096, "top_channels": 4096, "width": 1024, "classes": 1000}
            if any(not 0 < getattr(config, k) <= v for k, v in bounds.items()) or meta.get("labels") != LABELS:
                raise ValueError(f"its config {meta['config']} is out of bounds or its labels are not COCO's 80")
            model = cls(config)
            model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in tensors.items()})
        except (TypeError, KeyError, ValueError, RuntimeError) as e:
            raise ObjectsError(f"{path}: the object head's weights do not match its config: {e}") from None
        model.meta = meta
        return model.to(device).eval()
