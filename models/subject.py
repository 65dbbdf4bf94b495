"""Keeping the subject alive: a light pull toward the caption's own words while the poem is written.

A char-LSTM primed on "a dog on a beach" writes the caption once and then drifts: measured
over 8 captions x 6 temperatures, a caption word came back after a stanza's first line in
4-15 % of stanzas. The pull is an automaton over the caption's content words, run on the
device inside the sampler (models/engine.py's Draw), so it costs two table lookups a step:

- its states are the prefixes of the content words (a trie; state 0: at a word start) and OUT
  (inside a word that matches none);
- inside a matching prefix it adds `strength` nats to the log-probability of the letters that
  continue it, so a word once begun tends to be finished ("sur" -> "surf" -> "surfboard"); at
  a word start, 0.4 x strength to each content word's first letter;
- a letter that leaves every word sends it to OUT, any other character back to a word start.

The model still chooses every character: the pull is a bias of a nat or two, never a forced
word. docs/benchmarks.md (subject_bench.py) has how much it raises recurrence and what it
costs in the model's own loss on its output.
"""
from __future__ import annotations

import re

from .defaults import KEEP_SUBJECT

# Function words and the captioners' filler: never the subject.
STOP = set("""a an the of on in at to and or with without next near top front side back over under by
from into onto for its it is are be being this that these those his her their there here some
very while other each two three four sitting standing holding looking laying lying up down
out off around along behind inside outside""".split())
MAX_STATES = 160       # trie nodes for one caption: ~8 words of ~10 letters, plus the two fixed states
WORD_START, OUT = 0, 1


def content_words(caption: str) -> list[str]:
    """The caption's words worth keeping: lower case, three letters or more, no function words,
    each once, in order."""
    seen: list[str] = []
    for w in re.findall(r"[a-z]+", caption.lower()):
        if len(w) >= 3 and w not in STOP and w not in seen:
            seen.append(w)
    return seen


def recurring(caption: str, stanza: str) -> list[str]:
    """The caption's content words (or their plurals) that come back after the stanza's first
    line: the measure of a subject kept alive."""
    rest = stanza.split("\n", 1)[1].lower() if "\n" in stanza else ""
    return [w for w in content_words(caption) if re.search(rf"\b{w}(s|es)?\b", rest)]


class SubjectPull:
    """The automaton for one caption over one vocabulary: `trans` (S, V) next state, `bias`
    (S, V) nats added to each character's log-probability, `first` the state the caption's
    own last characters leave the writer in."""

    def __init__(self, caption: str, vocab, strength: float = KEEP_SUBJECT, start: float | None = None):
        import torch   # here, so the command line can read KEEP_SUBJECT without loading torch
        start = 0.4 * strength if start is None else start
        self.words = content_words(caption)
        V = len(vocab)
        letters = [(i, c.lower()) for i, c in enumerate(vocab.chars) if c.isalpha()]
        children: list[dict[str, int]] = [{}, {}]
        for w in self.words:
            if len(children) + len(w) > MAX_STATES:
                break
            node = WORD_START
            for ch in w:
                if ch not in children[node]:
                    children[node][ch] = len(children)
                    children.append({})
                node = children[node][ch]
        # built as lists, then one tensor each: per-element tensor writes cost ~10 ms a job
        trans = [[WORD_START] * V for _ in children]           # non-letters: a word starts
        bias = [[0.0] * V for _ in children]
        for s, (row, nats) in enumerate(zip(trans, bias)):
            for i, ch in letters:
                nxt = children[s].get(ch) if s != OUT else None
                row[i] = OUT if nxt is None else nxt
                if nxt is not None:
                    nats[i] = start if s == WORD_START else strength
        self.trans = torch.tensor(trans, dtype=torch.long)
        self.bias = torch.tensor(bias)
        self.first = self.run(vocab.chars, caption)

    def run(self, chars: str, text: str, state: int = WORD_START) -> int:
        index = {c: i for i, c in enumerate(chars)}
        for ch in text:
            if ch in index:
                state = int(self.trans[state, index[ch]])
        return state
