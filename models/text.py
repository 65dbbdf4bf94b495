"""Printable text: fold any UTF-8 text to what a thermal printer can print, and the vocabulary.

Why: a thermal printer's code page reliably prints ASCII only, so the model must never learn
(or emit) anything else. The folding rule, applied to the corpus and to every seed:

1. Typographic punctuation is folded: curly quotes -> straight quotes, em dash -> "--",
   en dash -> "-", ellipsis -> "...", ligatures (ae, oe, ss) spelled out, tabs -> 4 spaces.
2. Letters with diacritics lose them (NFKD decomposition, combining marks dropped): "é" -> "e".
3. For a corpus, any line that contains Greek script is dropped whole: in English verse it is a
   quotation the model cannot learn from a few hundred letters, and transliterating it would
   teach gibberish. In a seed, Greek letters are simply dropped (rule 4).
4. Anything still outside printable ASCII (32..126) and newline is dropped; the caller can count
   what was dropped.
"""
from __future__ import annotations

import json
import logging
import unicodedata

log = logging.getLogger(__name__)

PRINTABLE = frozenset(chr(i) for i in range(32, 127)) | {"\n"}

_FOLD = {
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u0091": "'", "\u0092": "'",
    "\u0093": '"', "\u0094": '"', "\u2032": "'", "\u2033": '"',
    "\u2014": "--", "\u2015": "--", "\u2013": "-", "\u2012": "-", "\u2010": "-", "\u2011": "-",
    "\u2026": "...", "\u00a0": " ", "\t": "    ", "\r": "",
    "\u00e6": "ae", "\u00c6": "Ae", "\u0153": "oe", "\u0152": "Oe", "\u00df": "ss",
    "\u00f8": "o", "\u00d8": "O", "\u0142": "l", "\u0141": "L",
}


def is_greek(ch: str) -> bool:
    return "\u0370" <= ch <= "\u03ff" or "\u1f00" <= ch <= "\u1fff"


def fold(text: str, drop_greek_lines: bool = False) -> tuple[str, int]:
    """Return (printable text, number of characters dropped) under the module's folding rule."""
    if drop_greek_lines and any(is_greek(c) for c in text):
        text = "\n".join(line for line in text.split("\n") if not any(is_greek(c) for c in line))
    out = []
    dropped = 0
    for ch in text:
        if ch in PRINTABLE:
            out.append(ch)
            continue
        ch = _FOLD.get(ch, ch)
        for c in unicodedata.normalize("NFKD", ch):
            if c in PRINTABLE:
                out.append(c)
            elif not unicodedata.combining(c):
                dropped += 1
    return "".join(out), dropped


class Vocab:
    """Characters <-> integer ids. Stored with every checkpoint, so a checkpoint is all you need."""

    def __init__(self, chars: str):
        if len(set(chars)) != len(chars):
            raise ValueError("vocabulary has repeated characters")
        self.chars = chars
        self.index = {c: i for i, c in enumerate(chars)}

    @classmethod
    def from_text(cls, text: str) -> "Vocab":
        return cls("".join(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars)

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocab) and other.chars == self.chars

    def to_json(self) -> str:
        return json.dumps(self.chars)

    @classmethod
    def from_json(cls, s: str) -> "Vocab":
        return cls(json.loads(s))

    def clean(self, text: str) -> tuple[str, str]:
        """Map text onto this vocabulary: fold it, try the other letter case, drop the rest.

        Returns (clean text, the characters that were dropped). Never raises: a seed from a
        captioner or a visitor must always produce a poem.
        """
        folded, _ = fold(text)
        out, dropped = [], []
        for ch in folded:
            if ch in self.index:
                out.append(ch)
            elif ch.swapcase() in self.index:
                out.append(ch.swapcase())
            else:
                dropped.append(ch)
        for ch in text:  # characters fold() removed count as dropped too
            if not fold(ch)[0] and ch not in dropped:
                dropped.append(ch)
        if dropped:
            log.warning("dropped characters outside the model's vocabulary: %r", "".join(dropped))
        return "".join(out), "".join(dropped)

    def encode(self, text: str) -> list[int]:
        """Ids of text, which must already be clean (see clean())."""
        return [self.index[c] for c in text]

    def decode(self, ids) -> str:
        return "".join(self.chars[i] for i in ids)
