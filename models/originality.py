"""The originality guard's index: which character n-grams occur in a model's training corpus.

Why: a char-LSTM can recite its corpus, and a gallery device must not print a famous poem as
its own. The index is a Bloom filter: each n-gram (N = 20 characters) of the folded corpus sets two
bits, picked from its 64-bit polynomial hash. To measure a stanza we look up every n-gram it
contains; a run of consecutive hits of length r means r + N - 1 characters appear verbatim in
the corpus (or are stitched from overlapping corpus n-grams). Hash collisions can make a miss
look like a hit, so a span may read a few characters long, never short: with 2^26 bits (8 MiB)
for ~14.7 M n-grams about 1 lookup in 8 collides, so a false extension of k characters has
probability ~0.12^k.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .errors import ModelError

N = 20                      # n-gram length in characters
_BASE = np.uint64(1_000_003)
# Two multiplicative (Fibonacci) hashes pick two bits per n-gram, a Bloom filter with k = 2
_MIXES = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))


class NgramIndexError(ModelError, ValueError):
    """An originality index file is missing or corrupt."""


def ngram_hashes(text: str, n: int = N) -> np.ndarray:
    """64-bit polynomial hash of every n-gram of text (empty when text is shorter than n)."""
    codes = np.frombuffer(text.encode("utf-8", "replace"), dtype=np.uint8).astype(np.uint64)
    m = len(codes) - n + 1
    if m <= 0:
        return np.zeros(0, dtype=np.uint64)
    h = np.zeros(m, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(n):
            h = h * _BASE + codes[j:j + m]
    return h


class NgramIndex:
    def __init__(self, bits: np.ndarray, log2_bits: int, fingerprint: str, n: int = N):
        self.bits, self.log2_bits, self.fingerprint, self.n = bits, log2_bits, fingerprint, n

    def _slots(self, hashes: np.ndarray) -> list[np.ndarray]:
        with np.errstate(over="ignore"):
            return [(hashes * mix) >> np.uint64(64 - self.log2_bits) for mix in _MIXES]

    @classmethod
    def build(cls, text: str, fingerprint: str = "", log2_bits: int = 26, n: int = N) -> "NgramIndex":
        idx = cls(np.zeros(1 << (log2_bits - 3), dtype=np.uint8), log2_bits, fingerprint, n)
        # in slices, to keep memory flat on a 14 MB corpus
        for start in range(0, max(1, len(text) - n + 1), 1 << 22):
            for slots in idx._slots(ngram_hashes(text[start:start + (1 << 22) + n - 1], n)):
                np.bitwise_or.at(idx.bits, (slots >> np.uint64(3)).astype(np.int64),
                                 (np.uint8(1) << (slots & np.uint64(7)).astype(np.uint8)))
        return idx

    def contains(self, text: str) -> np.ndarray:
        """For each n-gram of text, whether the corpus (probably) has it."""
        hit = np.ones(max(0, len(text) - self.n + 1), dtype=bool)
        for slots in self._slots(ngram_hashes(text, self.n)):
            byte = self.bits[(slots >> np.uint64(3)).astype(np.int64)]
            hit &= (byte >> (slots & np.uint64(7)).astype(np.uint8)) & 1 == 1
        return hit

    def longest_copied_span(self, text: str) -> int:
        """Length of the longest stretch of text found verbatim in the corpus; 0 if under N."""
        best = run = 0
        for hit in self.contains(text):
            run = run + 1 if hit else 0
            best = max(best, run)
        return best + self.n - 1 if best else 0

    def save(self, path: str | Path) -> None:
        meta = {"n": self.n, "log2_bits": self.log2_bits, "fingerprint": self.fingerprint}
        save_file({"bits": torch.from_numpy(self.bits)}, str(path), metadata={"narrator_index": json.dumps(meta)})

    @classmethod
    def load(cls, path: str | Path) -> "NgramIndex":
        from safetensors import safe_open
        try:
            with safe_open(str(path), framework="pt") as f:
                meta = json.loads((f.metadata() or {})["narrator_index"])
            bits = load_file(str(path))["bits"].numpy()
        except FileNotFoundError:
            raise NgramIndexError(f"originality index not found: {path}") from None
        except (SafetensorError, OSError, ValueError, KeyError) as e:
            raise NgramIndexError(f"{path} is not a readable originality index (corrupt?): {e}. "
                              "Rebuild it with `narrator export ... --corpus`.") from None
        if len(bits) != 1 << (meta["log2_bits"] - 3):
            raise NgramIndexError(f"{path}: index size does not match its header (truncated?)")
        return cls(bits, meta["log2_bits"], meta["fingerprint"], meta["n"])
