"""Measure a model's loss on text: nats/char and bits/char, as during training."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from .corpus import StreamBatches
from .text import fold


@torch.no_grad()
def stream_loss(model, ids: torch.Tensor, batch: int, seq: int, device, max_chars: int = 0,
                rank: int = 0, world: int = 1) -> float:
    """Mean cross-entropy (nats/char) over ids, read as parallel carried-state streams the way
    training reads them (with DistributedDataParallel, summed over all ranks)."""
    if max_chars:
        ids = ids[:max_chars + 1]
    seq = max(1, min(seq, (len(ids) - 1) // world))
    batch = max(1, min(batch, (len(ids) - 1) // (seq * world)))
    streams = StreamBatches(ids, batch, seq, rank, world)
    was_training = model.training
    model.eval()
    total = torch.zeros(2, dtype=torch.float64, device=device)
    state = None
    for i in range(len(streams)):
        x, y = (t.to(device) for t in streams.batch(i))
        logits, state = model(x, state)
        total[0] += F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="sum").double()
        total[1] += y.numel()
    if world > 1:
        import torch.distributed as dist
        dist.all_reduce(total)
    model.train(was_training)
    return (total[0] / total[1]).item()


@dataclass
class TextLoss:
    nats_per_char: float
    chars: int             # characters scored
    folded_away: int       # characters the printable folding rule removed
    out_of_vocab: str      # distinct characters outside the model's vocabulary (not scored)
    out_of_vocab_count: int

    @property
    def bits_per_char(self) -> float:
        return self.nats_per_char / math.log(2)


def text_loss(model, paths: list[str | Path], batch: int = 16, seq: int = 128) -> TextLoss:
    """Loss of the model on text files. Characters outside the vocabulary are counted and
    reported, then left out of the scored text."""
    text = "\n\n".join(Path(p).read_text(encoding="utf-8", errors="replace") for p in paths)
    folded, folded_away = fold(text)
    oov = [c for c in folded if c not in model.vocab.index]
    clean = "".join(c for c in folded if c in model.vocab.index)
    if len(clean) < 2:
        raise ValueError(f"{', '.join(map(str, paths))}: fewer than 2 characters the model knows")
    ids = torch.tensor(model.vocab.encode(clean), dtype=torch.long)
    loss = stream_loss(model, ids, batch, seq, model.device)
    return TextLoss(loss, len(clean) - 1, folded_away, "".join(sorted(set(oov))), len(oov))
