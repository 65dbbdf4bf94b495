"""Argument types that check what they read, for every `narrator` command: a bad value exits
with status 2 and argparse's message naming the argument, never a traceback or a torch error.
The limits are the config's own (models/defaults.py), so the command line and the config
file refuse the same things."""
from __future__ import annotations

import argparse
import math
from pathlib import Path

from .defaults import MAX_TEMPERATURE, MAX_TEMPERATURES, SHIPPED_DIR


def number(kind, low=None, high=None, low_open: bool = False):
    """An int or float in [low, high] (low excluded with low_open); finite."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
        if (low is not None and (value < low or (low_open and value == low))) or (high is not None and value > high):
            lo = "" if low is None else f"{'>' if low_open else '>='} {low}"
            hi = "" if high is None else f"<= {high}"
            raise argparse.ArgumentTypeError(f"{text} is out of range ({' and '.join(x for x in (lo, hi) if x)})")
        return value
    return parse


def temperatures(text: str) -> list[float]:
    """Comma-separated temperatures, 1..16 of them, each 0..5 (0: greedy)."""
    parse = number(float, 0.0, MAX_TEMPERATURE)
    items = [t.strip() for t in text.split(",")]
    if "" in items:
        raise argparse.ArgumentTypeError(f"an empty temperature in {text!r}: give numbers separated by single commas")
    temps = [parse(t) for t in items]
    if not 1 <= len(temps) <= MAX_TEMPERATURES:
        raise argparse.ArgumentTypeError(f"give 1..{MAX_TEMPERATURES} temperatures separated by commas, got {text!r}")
    return temps


def existing_file(text: str) -> str:
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder, not a file")
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{text} does not exist")
    return text


def existing_path(text: str) -> str:
    """A file or a folder that exists (a corpus can be either)."""
    if not Path(text).exists():
        raise argparse.ArgumentTypeError(f"{text} does not exist")
    return text


def existing_folder(text: str) -> str:
    if not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is not a folder")
    return text


def shipped_voices() -> list[str]:
    """The voices that ship in models/shipped/: a model beside its originality index."""
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.safetensors") if p.with_suffix(".ngrams").exists())


def shipped_voice(text: str) -> str:
    if text not in shipped_voices():
        raise argparse.ArgumentTypeError(f"{text!r} is not a shipped voice ({', '.join(shipped_voices())})")
    return text
