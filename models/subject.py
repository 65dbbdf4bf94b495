"""Keeping the subject alive: a light pull toward the caption's own words while the poem is written.

A char-LSTM primed on "a dog on a beach" writes the caption once and then drifts: measured
over 8 captions x 6 temperatures, a caption word came back after a stanza's first line in
4-15 % of stanzas. The pull is an automaton over the caption's content words, run on the
device inside the sampler (models/engine.py's Draw), so it costs a few table lookups a step:

- its states are the prefixes of the content words (a trie; state 0: at a word start) and OUT
  (inside a word that matches none);
- it adds nats to the log-probability of the letters that continue a matching prefix: at a
  word start 0.4 x `strength` to each content word's first letter, `strength` to its second
  and third, and 3.2 x `strength` from the fourth on, so that a word begun as "stre" ends as
  "street" rather than "stream" (with one bias for every letter, more stanzas echoed a
  caption word's first letters than said the word: docs/benchmarks.md);
- each caption word the row completes halves that row's pull, so the subject comes back
  without becoming a refrain;
- a letter that leaves every word sends it to OUT, any other character back to a word start;
- the caption's head nouns pull at full strength, the words that only describe them (colours,
  sizes, light, materials, a caption's common verbs) at ADJECTIVE x: "a black dog" should
  bring back the dog, not the black;
- the caption's objects (what the eyes can name: the cat, a person, the motorcycle; not the
  room or the street, which verse says anyway) pull at OBJECT x, and more in the slot where a
  noun goes: right after an article ("the ", "a ", "his "), an object's first letter gets
  OBJECT_SLOT x strength, so "the c..." becomes "the cat" where the voice would have written
  "the cold": a line may take up the object in the voice's own words.

The model still chooses every character. docs/benchmarks.md (subject_bench.py) has how much
the pull raises recurrence and what it costs in the model's own loss on its output.
"""
from __future__ import annotations

import re

from .defaults import KEEP_SUBJECT

# Function words and the captioners' filler: never the subject.
STOP = set("""a an the of on in at to and or with without next near top front side back over under by
from into onto for its it is are be being this that these those his her their there here some
very while other each two three four sitting standing holding looking laying lying up down
out off around along behind inside outside""".split())
MAX_STATES = 160       # trie nodes for one caption: ~8 words of ~10 letters, plus the fixed states
WORD_START, OUT, SLOT = 0, 1, 2   # SLOT: a word start right after an article, where a noun goes
ARTICLES = ("the", "a", "an", "my", "thy", "his", "her", "our", "their", "this")
OBJECT_SLOT = 2.0          # x strength: an object's first letter in the slot after an article
OBJECT = 1.5               # x strength: an object's letters anywhere (a head noun's are 1.0)
START, FINISH = 0.4, 3.2   # x strength: a content word's first letter; its letters from the fourth on
FINISH_AFTER = 3           # letters matched before the pull turns to finishing the word
ADJECTIVE = 0.35           # x strength for a content word that is not a head noun
DESCRIBERS = set("""red orange yellow green blue purple pink brown black white grey gray golden silver dark
light pale colorful colourful small large big little tiny huge tall short long wide empty old young new dim
bright wooden metal plastic glass open closed full busy quiet calm wet dry sunny cloudy snowy grassy sandy
shaded lit striped riding running walking flying eating playing driving parked covered filled made
several many few something""".split())
DECAY = 0.5                # the row's pull is multiplied by this for each caption word it completes
MAX_DECAYS = 8             # after this many words the pull stays at DECAY ** 8 (0.4 %)


def content_words(caption: str) -> list[str]:
    """The caption's words worth keeping: lower case, three letters or more, no function words,
    each once, in order."""
    seen: list[str] = []
    for w in re.findall(r"[a-z]+", caption.lower()):
        if len(w) >= 3 and w not in STOP and w not in seen:
            seen.append(w)
    return seen


def object_words(caption: str) -> list[str]:
    """The caption's words that name a thing the eyes can find (a COCO category's words: cat,
    man, people, motorcycle), not the setting (room, street, field) nor its qualities."""
    from .captioners.coco_words import mentions, words_of
    found: list[str] = []
    for _, _, words in mentions(words_of(caption)):
        for w in words.split():
            if w not in found and w not in STOP:
                found.append(w)
    return found


def head_nouns(caption: str) -> list[str]:
    """The content words that name a thing, not a quality of it: all but the describers. Empty
    when the caption has none (then every content word pulls alike)."""
    return [w for w in content_words(caption) if w not in DESCRIBERS]


def after_first_line(stanza: str) -> str:
    """What a stanza wrote after its first line (the caption's), lower case: where a subject
    kept alive shows."""
    return stanza.split("\n", 1)[1].lower() if "\n" in stanza else ""


def said(word: str) -> re.Pattern:
    """The word or its plural, as a whole word."""
    return re.compile(rf"\b{word}(s|es)?\b")


def recurring(caption: str, stanza: str) -> list[str]:
    """The caption's content words (or their plurals) that come back after the stanza's first
    line: the measure of a subject kept alive."""
    rest = after_first_line(stanza)
    return [w for w in content_words(caption) if said(w).search(rest)]


class SubjectPull:
    """The automaton for one caption over one vocabulary: `trans` (S, V) next state, `bias`
    (S, V) nats added to each character's log-probability, `ends` (S,) 1 where a content word
    is complete, `first` the state the caption's own last characters leave the writer in."""

    def __init__(self, caption: str, vocab, strength: float = KEEP_SUBJECT):
        import torch   # here, so the command line can read KEEP_SUBJECT without loading torch
        self.words = content_words(caption)
        self.objects = [w for w in object_words(caption) if w in self.words]
        nouns = set(head_nouns(caption)) or set(self.words)
        V = len(vocab)
        letters = [(i, c.lower()) for i, c in enumerate(vocab.chars) if c.isalpha()]
        children: list[dict[str, int]] = [{}, {}]
        children.append(children[WORD_START])    # SLOT begins words as a word start does
        depth, weight, ends = [0, 0, 0], [1.0, 1.0, 1.0], set()

        def add(word: str, share: float) -> int:
            node = WORD_START
            for ch in word:
                if ch not in children[node]:
                    children[node][ch] = len(children)
                    children.append({})
                    depth.append(depth[node] + 1)
                    weight.append(share)
                node = children[node][ch]
                weight[node] = max(weight[node], share)   # a prefix shared with a noun pulls as the noun
            return node

        articles = {add(a, 0.0) for a in ARTICLES}      # paths of their own, no pull: they lead to SLOT
        for w in sorted(self.words, key=lambda w: (w not in self.objects, w not in nouns)):   # they keep their room
            if len(children) + len(w) <= MAX_STATES:
                ends.add(add(w, OBJECT if w in self.objects else 1.0 if w in nouns else ADJECTIVE))
        opens_object = {children[WORD_START][w[0]] for w in self.objects if w[0] in children[WORD_START]}
        # built as lists, then one tensor each: per-element tensor writes cost ~10 ms a job
        trans = [[WORD_START] * V for _ in children]           # non-letters: a word starts
        bias = [[0.0] * V for _ in children]
        space = vocab.index.get(" ")
        for s, (row, nats) in enumerate(zip(trans, bias)):
            if s in articles and space is not None:
                row[space] = SLOT
            for i, ch in letters:
                nxt = children[s].get(ch) if s != OUT else None
                row[i] = OUT if nxt is None else nxt
                if nxt is not None:
                    nats[i] = strength * weight[nxt] * (START if s in (WORD_START, SLOT) else
                                                        FINISH if depth[s] >= FINISH_AFTER else 1.0)
                    if s == SLOT and nxt in opens_object:
                        nats[i] = max(nats[i], strength * OBJECT_SLOT)
        self.trans = torch.tensor(trans, dtype=torch.long)
        self.bias = torch.tensor(bias)
        self.ends = torch.tensor([int(s in ends) for s in range(len(children))], dtype=torch.long)
        self.first = self.run(vocab.chars, caption)

    def run(self, chars: str, text: str, state: int = WORD_START) -> int:
        index = {c: i for i, c in enumerate(chars)}
        for ch in text:
            if ch in index:
                state = int(self.trans[state, index[ch]])
        return state
