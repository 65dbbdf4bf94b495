"""No loops: a stanza says a content word at most twice.

At low temperatures the char-LSTM falls into loops ("The sun that bears the sun ... And the sun
is shaken on the sun."): measured on the shipped voice, a content word came three or more times
in 100 % of stanzas at 0.3 and 80 % at 0.4. The cure runs inside the sampler (models/engine.py's
Draw), a few tensor operations a step: each row keeps a count of the content words it has
written (hashed, a plural folded onto its stem), and while the word under way is one already
written twice, the row may not end it: it writes another word instead ("sun" -> "sunset"). The
model still chooses every letter; nothing changes until a word would come a third time.

`loops(text)` is the measure (subject_bench's `loops`); the sampler and it share one notion of
a content word (FUNCTION_WORDS, stem) so that the ban is exactly what the measure counts.
"""
from __future__ import annotations

import re
from collections import Counter

MAX_SAYS = 2           # a content word may be written this many times in a stanza
MIN_LETTERS = 3        # shorter words are never content words
BUCKETS = 1 << 16      # hash buckets per row (a collision can only ban an ending early, ~1 in 20,000 words)
MULT = 31
# the words verse repeats by its nature: never counted
FUNCTION_WORDS = set("""the and but for nor yet not all any few many more most much some such own same
that this these those than then thee thou thy thine you your yours she her hers him his its our ours
they them their theirs who whom whose what which when where why how who whoever there here with from
into onto upon unto over under above below about after before till until while once ever never
again still also only even just like was were are has had have having does did doing done shall
will would should could can may might must let lets one ones two three out off down upon now too
very each every both either neither other another oft thus though although because since through
throughout without within among against between beyond beneath behind beside toward towards
cannot nothing something everything none twas tis been being say said says""".split())


def stem(word: str) -> str:
    """The word a count is kept under: lower case, a plural's final s dropped ("suns" -> "sun")."""
    word = word.lower()
    return word[:-1] if word.endswith("s") and len(word) > MIN_LETTERS else word


def counted(word: str) -> bool:
    return len(word) >= MIN_LETTERS and word.lower() not in FUNCTION_WORDS


def loops(text: str) -> list[str]:
    """The content words (stems) written more than MAX_SAYS times in `text`: a stanza loops when
    this is not empty."""
    counts = Counter(stem(w) for w in re.findall(r"[A-Za-z]+", text) if counted(w))
    return sorted(w for w, n in counts.items() if n > MAX_SAYS)


def word_hash(word: str) -> int:
    """The bucket the sampler counts a word under (the same arithmetic as Draw's, letter by letter)."""
    h = 0
    for ch in word.lower():
        h = (h * MULT + ord(ch) - ord("a") + 1) % BUCKETS
    return h


def tables(chars: str):
    """(letter code per character: 1..26, 0 for a non-letter; the code of "s"; a mask of the
    buckets of function words, which are never counted), for one vocabulary."""
    import torch
    codes = torch.tensor([ord(c.lower()) - ord("a") + 1 if c.isascii() and c.isalpha() else 0 for c in chars])
    skip = torch.zeros(BUCKETS, dtype=torch.bool)
    skip[[word_hash(w) for w in FUNCTION_WORDS]] = True
    return codes, ord("s") - ord("a") + 1, skip


class WordCount:
    """Each row's count of the content words it has written, and the word under way (its hash,
    its hash before its last letter, its length, whether it ends in "s"), all in tensors
    updated in place so that a CUDA graph can capture them. Draw asks it, before each draw,
    which rows may not end their word, and tells it, after, what each row wrote."""

    def __init__(self, batch: int, chars: str, device):
        import torch
        codes, self.s_code, skip = tables(chars)
        self.codes, self.skip = codes.to(device), skip.to(device)
        self.ender = (self.codes == 0).unsqueeze(0)   # (1, V): the characters that end a word
        self.rows = torch.arange(batch, device=device)
        self.word, self.prev, self.letters = (torch.zeros(batch, dtype=torch.long, device=device) for _ in range(3))
        self.last_s = torch.zeros(batch, dtype=torch.bool, device=device)
        self.said = torch.zeros(batch, BUCKETS, dtype=torch.uint8, device=device)

    def state(self) -> list:
        return [self.word, self.prev, self.letters, self.last_s, self.said]

    def reset(self) -> None:
        for t in self.state():
            t.zero_()

    def said_twice(self):
        """(the bucket each row's word under way is counted in, whether it is a content word
        already written MAX_SAYS times)."""
        import torch
        key = torch.where(self.last_s & (self.letters > MIN_LETTERS), self.prev, self.word)
        content = (self.letters >= MIN_LETTERS) & ~self.skip[self.word]
        return key, content & (self.said[self.rows, key] >= MAX_SAYS)

    def count(self, key, nxt) -> None:
        """After a draw: count each word that `nxt` ends, and go on hashing the others."""
        import torch
        code = self.codes[nxt]
        letter = code > 0
        ended = ~letter & (self.letters >= MIN_LETTERS) & ~self.skip[self.word]
        self.said.index_put_((self.rows, key), ended.to(torch.uint8), accumulate=True)
        self.prev.copy_(self.word * letter)
        self.word.copy_((self.word * MULT + code).remainder(BUCKETS) * letter)
        self.letters.add_(1).mul_(letter)
        self.last_s.copy_(letter & (code == self.s_code))
