"""The setting head: which settings a photo shows (indoors, street, field, water, beach, snow,
forest, sky, mountain: settings.py's groups), so that a caption names only those.

    head = SettingHead.load()                          # models/shipped/settings.safetensors
    probs = head.probabilities(cells)                  # each group's probability, for job.json
    groups = head.supported(probs)                     # {"field", "sky"}: those above their thresholds

One linear layer over the backbone's 1280-channel head map, pooled in three horizontal bands
(top, middle, bottom: sky is above, ground below), one logit per group. Trained from weak labels,
the share of a photo's five human captions that name each group; a group is supported above
its threshold, chosen on photos no model trained on (training/train_settings.py).
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from .objects import ObjectsError
from .settings import GROUPS

SHIPPED = Path(__file__).resolve().parents[1] / "shipped" / "settings.safetensors"
FORMAT = "narrator-settings/1"
NAMES = list(GROUPS)
CHANNELS, BANDS = 1280, 3


class SettingHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(CHANNELS * BANDS, len(NAMES))
        self.register_buffer("thresholds", torch.full((len(NAMES),), 0.5))

    @staticmethod
    def pooled(cells: torch.Tensor) -> torch.Tensor:
        """(N, 1280, H, W) head map -> (N, 1280 x 3): the mean of each horizontal band."""
        return F.adaptive_avg_pool2d(cells, (BANDS, 1)).flatten(1)

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.linear(pooled)

    @torch.inference_mode()
    def probabilities(self, cells: torch.Tensor) -> dict[str, float]:
        p = torch.sigmoid(self(self.pooled(cells.float())))[0]
        return {n: float(v) for n, v in zip(NAMES, p)}

    def supported(self, probs: dict[str, float]) -> set[str]:
        return {n for n, t in zip(NAMES, self.thresholds.tolist()) if probs[n] >= t}

    def save(self, path: str | Path, meta: dict) -> None:
        from .weights import write_weights
        tensors = {k: v.detach().cpu().float().contiguous() for k, v in self.state_dict().items()}
        write_weights(Path(path), tensors, dict(meta, format=FORMAT, groups=NAMES))

    @classmethod
    def load(cls, path: str | Path | None = None, device: str | torch.device = "cpu") -> "SettingHead":
        from .weights import read_weights
        path = Path(path or SHIPPED)
        tensors, meta = read_weights(path, FORMAT, ObjectsError, "setting head")
        model = cls()
        try:
            if meta.get("groups") != NAMES:
                raise ValueError(f"its groups {meta.get('groups')} are not {NAMES}")
            model.load_state_dict(tensors)
        except (KeyError, ValueError, RuntimeError) as e:
            raise ObjectsError(f"{path}: the setting head's weights do not fit: {e}") from None
        model.meta = meta
        return model.to(device).eval()
