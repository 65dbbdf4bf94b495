"""Make a trained checkpoint ready to ship: smaller weights, its corpus index, its pre-seed.

    narrator export runs/poetry/best.safetensors models/shipped/poetry.safetensors \\
        --dtype float16 --corpus ../shared/data/poetry --sample-preseed

The pre-seed is the model's own writing: several candidate paragraphs about one training
sequence long are sampled from a blank line, and the one the model itself finds most likely
(lowest loss per character) among those that pass the originality guard is kept.
"""
from __future__ import annotations

import logging
import math
import shutil
from pathlib import Path

import torch

from .checkpoint import load_checkpoint, save_checkpoint
from .corpus import Corpus
from .defaults import MAX_COPY, template_ok
from .errors import ModelError
from .evaluate import stream_loss
from .originality import NgramIndex
from .writer import Writer, index_path_for

log = logging.getLogger(__name__)


class ExportError(ModelError):
    """The checkpoint cannot be exported as asked; the message says why."""


def sample_preseed(model, index: NgramIndex | None, length: int, temperature: float = 0.6,
                   candidates: int = 24, seed: int = 0, max_copy: int = MAX_COPY) -> str:
    """The model's own paragraph that primes it best: verse-like (several lines of words, no
    digits, little indentation), original (passes the guard), and the likeliest to the model
    itself among the candidates."""
    poem = Writer(model, index=index).write_after("\n\n", [temperature] * candidates, length + length // 4,
                                                 preseed="", rng_seed=seed, max_copy=max_copy, retries=0)
    scored = []
    for stanza in poem.stanzas:
        text = stanza.text[len(stanza.caption):].strip("\n")
        if not text or not stanza.original:
            continue
        loss = stream_loss(model, torch.tensor(model.vocab.encode("\n\n" + text)), 1, len(text) + 1, model.device)
        scored.append((not _verse_like(text, length), loss, text))   # verse-like first, then likeliest
    return min(scored)[2] if scored else ""


def _verse_like(text: str, length: int) -> bool:
    lines = [line for line in text.split("\n") if line.strip()]
    letters = sum(c.isalpha() for c in text)
    return (len(text) >= length * 3 // 4 and len(lines) >= 2 and not any(c.isdigit() for c in text)
            and letters >= 0.7 * len(text.replace(" ", "").replace("\n", ""))
            and all(len(line) - len(line.lstrip()) <= 4 for line in lines))


def index_bits(chars: int) -> int:
    """log2 of the index's bits: about 4.5 bits an n-gram (the poetry voice's 2^26 for 14.7 M),
    so a small corpus gets a small file with the same rate of false hits."""
    return min(26, max(20, math.ceil(math.log2(max(1, chars) * 4.5))))


def export(checkpoint: str, out: str, dtype: str = "float16", corpus: list[str] | None = None,
           preseed: str | None = None, sample: bool = False, seed: int = 0,
           seed_template: str | None = None) -> dict:
    model, meta = load_checkpoint(checkpoint, "cpu")
    out_path = Path(out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    index_out = out_path.with_suffix(".ngrams")
    if corpus:
        c = Corpus.read(corpus)
        if c.fingerprint != meta["corpus"]["fingerprint"]:
            raise ExportError(f"{', '.join(corpus)} is not the corpus {checkpoint} was trained on "
                              "(fingerprints differ)")
        index = NgramIndex.build(c.text, c.fingerprint, log2_bits=index_bits(len(c.text)))
        index.save(index_out)
    else:
        src = index_path_for(Path(checkpoint))
        index = NgramIndex.load(src) if src else None
        if src:
            shutil.copyfile(src, index_out)
        else:
            log.warning("no originality index found for %s; pass --corpus to build one", checkpoint)
    if seed_template is not None:
        if not template_ok(seed_template):
            raise ExportError(f"--seed-template {seed_template!r} must hold {{caption}} (or {{Caption}}, {{CAPTION}}) once")
        meta["seed_template"] = seed_template
    if sample:
        seq = meta.get("train", {}).get("args", {}).get("seq_length", 128)
        preseed = sample_preseed(model, index, seq, seed=seed)
    if preseed is not None:
        meta["preseed"] = preseed
    save_checkpoint(out_path, model, meta, dtype=getattr(torch, dtype))
    return meta
