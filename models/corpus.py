"""Training text: read and fold corpus files, split train/val by chunks, and feed TBPTT batches.

Why chunks: the corpus is a row of books, so a validation set taken from the tail would be one
book. Instead the folded text is cut into fixed-size chunks and a seeded random 5% of them are
held out, so validation is drawn from every part of the corpus.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .errors import ModelError
from .text import Vocab, fold

log = logging.getLogger(__name__)


class CorpusError(ModelError, ValueError):
    """A corpus file is missing, unreadable or not UTF-8 text."""


@dataclass
class Corpus:
    text: str          # folded, printable text of all files, joined by blank lines
    vocab: Vocab
    fingerprint: str   # sha256 of the folded text: ties a checkpoint to what it learned from
    dropped: int       # characters the folding rule removed

    @classmethod
    def read(cls, paths: list[str | Path]) -> "Corpus":
        files = []
        for p in paths:
            p = Path(p)
            files.extend(sorted(p.glob("*.txt")) if p.is_dir() else [p])
        if not files:
            raise CorpusError(f"no corpus files found in {', '.join(map(str, paths))}")
        parts, dropped = [], 0
        for f in files:
            try:
                raw = f.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise CorpusError(f"corpus file not found: {f}") from None
            except UnicodeDecodeError as e:
                raise CorpusError(f"{f} is not UTF-8 text ({e}); convert it with iconv first") from None
            text, n = fold(raw, drop_greek_lines=True)
            parts.append(text.strip("\n"))
            dropped += n
        text = "\n\n".join(parts) + "\n"
        if len(text) < 2:
            raise CorpusError(f"corpus {', '.join(map(str, paths))} is empty after folding")
        fp = hashlib.sha256(text.encode("ascii")).hexdigest()
        log.info("corpus: %d files, %d chars, %d dropped by folding", len(files), len(text), dropped)
        return cls(text, Vocab.from_text(text), fp, dropped)

    def split(self, val_frac: float = 0.05, chunk: int = 10_000, seed: int = 0):
        """Return (train ids, val ids) as uint8/int64 tensors; val = a seeded random chunk sample."""
        ids = torch.from_numpy(np.frombuffer(self.text.encode("ascii"), dtype=np.uint8).copy())
        lut = torch.zeros(128, dtype=torch.long)
        lut[[ord(c) for c in self.vocab.chars]] = torch.arange(len(self.vocab))
        ids = lut[ids.long()]
        n_chunks = max(1, len(ids) // chunk)
        n_val = int(round(n_chunks * val_frac)) if val_frac > 0 else 0
        if val_frac > 0 and n_val == 0:
            n_val = 1
        if n_val >= n_chunks:
            raise CorpusError(f"corpus too small to hold out {val_frac:.0%} in {chunk}-char chunks; "
                              "lower --val-frac or --val-chunk")
        g = torch.Generator().manual_seed(seed)
        val_idx = set(torch.randperm(n_chunks, generator=g)[:n_val].tolist())
        bounds = [(i * chunk, (i + 1) * chunk if i < n_chunks - 1 else len(ids)) for i in range(n_chunks)]
        train = torch.cat([ids[a:b] for i, (a, b) in enumerate(bounds) if i not in val_idx])
        val = torch.cat([ids[a:b] for i, (a, b) in enumerate(bounds) if i in val_idx]) if n_val else ids[:0]
        return train, val


class StreamBatches:
    """torch-rnn's batching: the data is cut into `batch` parallel streams read left to right,
    so row r of batch i+1 continues row r of batch i and the LSTM state can be carried over
    (truncated backpropagation through time).

    With several processes (DistributedDataParallel) each rank reads its own `batch` streams
    out of `batch * world` streams.
    """

    def __init__(self, ids: torch.Tensor, batch: int, seq: int, rank: int = 0, world: int = 1):
        n_streams = batch * world
        per_stream = (len(ids) - 1) // n_streams
        self.steps = per_stream // seq
        if self.steps < 1:
            raise CorpusError(f"{len(ids)} characters are too few for {n_streams} streams of "
                              f"{seq}+1 characters; lower --batch-size or --seq-length")
        usable = per_stream * n_streams
        x = ids[:usable].view(n_streams, per_stream)
        y = ids[1:usable + 1].view(n_streams, per_stream)
        self.x = x[rank * batch:(rank + 1) * batch]
        self.y = y[rank * batch:(rank + 1) * batch]
        self.seq = seq

    def __len__(self) -> int:
        return self.steps

    def batch(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        s = (i % self.steps) * self.seq
        return self.x[:, s:s + self.seq], self.y[:, s:s + self.seq]
