"""Self-sufficient, safe checkpoints: safetensors weights plus JSON metadata.

A checkpoint holds everything sampling needs (config, vocabulary, pre-seed) and what is worth
knowing about the model (corpus fingerprint, losses, training time). safetensors stores only
tensors, so loading a model file can never run code.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .charlstm import CharLSTM, CharLSTMConfig, pick_device
from .errors import ModelError
from .text import Vocab

FORMAT = "narrator-charlstm/1"


class CheckpointError(ModelError, ValueError):
    """A checkpoint file is missing, corrupt, truncated, or not a narrator model."""


def save_checkpoint(path: str | Path, model: CharLSTM, meta: dict, dtype: torch.dtype = torch.float32):
    """Write weights (as CPU tensors of `dtype`) and metadata atomically: a crash mid-write
    leaves the previous file intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = model.module if hasattr(model, "module") else model
    tensors = {k: v.detach().to("cpu", dtype).contiguous() for k, v in raw.state_dict().items()}
    meta = dict(meta, format=FORMAT, config=raw.config.to_dict(), vocab=raw.vocab.chars)
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata={"narrator": json.dumps(meta)})
    os.replace(tmp, path)


def read_metadata(path: str | Path) -> dict:
    """The checkpoint's JSON metadata, without loading its weights."""
    from safetensors import safe_open
    path = Path(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint not found: {path}") from None
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path} is not a readable checkpoint (corrupt or truncated?): {e}. "
                              "Copy it again or retrain it.") from None
    try:
        meta = json.loads(meta["narrator"])
    except (KeyError, ValueError):
        meta = {}
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is a safetensors file but not a narrator model "
                              f"(no '{FORMAT}' metadata)")
    return meta


BOUNDS = {"num_layers": 16, "rnn_size": 8192, "wordvec_size": 4096}


def check_config(config: CharLSTMConfig, vocab_size: int, tensors: dict) -> None:
    """The config must be sane and must be what the tensors hold, before anything is allocated
    for it (a file claiming 10^9 layers would otherwise allocate without end)."""
    for key, most in BOUNDS.items():
        v = getattr(config, key)
        if not isinstance(v, int) or not 1 <= v <= most:
            raise ValueError(f"config {key} = {v!r} is outside 1..{most}")
    if not (isinstance(config.dropout, (int, float)) and 0 <= config.dropout < 1):
        raise ValueError(f"config dropout = {config.dropout!r} is outside 0..1")
    want = {"embed.weight": (vocab_size, config.wordvec_size), "head.weight": (vocab_size, config.rnn_size)}
    for layer in range(config.num_layers):
        width = config.wordvec_size if layer == 0 else config.rnn_size
        want[f"lstm.weight_ih_l{layer}"] = (4 * config.rnn_size, width)
        want[f"lstm.weight_hh_l{layer}"] = (4 * config.rnn_size, config.rnn_size)
    for key, shape in want.items():
        got = tuple(tensors[key].shape) if key in tensors else None
        if got != shape:
            raise ValueError(f"{key} is {got or 'missing'}, its config says {shape}")
    extra = {k for k in tensors if k.startswith("lstm.weight_ih_l")} - set(want)
    if extra:
        raise ValueError(f"it holds {len(extra)} LSTM layers more than its config's {config.num_layers}")


def load_checkpoint(path: str | Path, device: torch.device | str | None = None) -> tuple[CharLSTM, dict]:
    """Load a model for sampling (eval mode, float32, on CUDA if present). Returns (model, meta)."""
    path = Path(path)
    meta = read_metadata(path)
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path}: weights unreadable (corrupt or truncated?): {e}") from None
    try:
        config, vocab = CharLSTMConfig(**meta["config"]), Vocab(meta["vocab"])
        check_config(config, len(vocab), tensors)
        model = CharLSTM(config, vocab)
        model.load_state_dict({k: v.float() for k, v in tensors.items()})
    except (TypeError, KeyError, RuntimeError, ValueError) as e:
        raise CheckpointError(f"{path}: weights do not match its own config: {e}") from None
    model.to(device or pick_device()).eval()
    return model, meta
