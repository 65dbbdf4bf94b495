"""The writer: one trained char-LSTM with its pre-seed and originality index, ready to write.

    writer = Writer.load()                      # the shipped poetry model
    for s in writer.write("a dog on a beach", [0.3, 0.6, 0.9], length=400).stanzas:
        print(s.temperature, s.text)

write() is the only way the project samples poems: the CLI, the daemon, the soak, export's
pre-seed, the tests and the benchmarks all call it. It primes the LSTM once on pre-seed +
caption, samples every temperature as one batch (leaning toward the caption's words,
models/subject.py), then checks each stanza against the corpus index and resamples (as a smaller batch, from the
same primed state) any stanza that copies >= max_copy characters verbatim, a bounded number
of times. A stanza that still copies after the last retry is kept, the least-copying attempt,
and marked original=False so the caller can report it.
"""
from __future__ import annotations

import logging
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .charlstm import VERSE_OVER, CharLSTM, finish_verse
from .checkpoint import load_checkpoint
from .defaults import KEEP_SUBJECT, MAX_CAPTION, MAX_COPY, NO_REPEAT, PLACES, RETRIES, SHIPPED_DIR
from .errors import ModelError
from .originality import NgramIndex, NgramIndexError
from .subject import SubjectPull, recurring

log = logging.getLogger(__name__)

SHIPPED = SHIPPED_DIR / "poetry.safetensors"


class CaptionError(ModelError, ValueError):
    """A caption no poem can start from (empty, or nothing left once cleaned)."""


def tidy_caption(caption: str, vocab) -> tuple[str, str]:
    """(the caption as the poem starts with it, the characters dropped): on the model's
    alphabet, one line, single spaces (a dropped emoji leaves no double space), at most
    MAX_CAPTION characters, cut at a word with a warning. An empty one is a CaptionError."""
    if not caption.strip():
        raise CaptionError("the caption is empty: give the words the poem starts from")
    clean, dropped = vocab.clean(" ".join(caption.split()))
    clean = re.sub(r"\s+", " ", clean).strip()
    if not clean:
        raise CaptionError(f"nothing is left of the caption {caption!r} on this voice's alphabet")
    if len(clean) > MAX_CAPTION:
        cut = clean[:MAX_CAPTION + 1].rsplit(" ", 1)[0] if " " in clean[:MAX_CAPTION + 1] else clean[:MAX_CAPTION]
        log.warning("the caption is %d characters; the poem starts from its first %d (limit %d)",
                    len(clean), len(cut), MAX_CAPTION)
        clean = cut.rstrip()
    return clean, dropped


CAPTION = "{caption}"   # the plain seed: the stanza starts with the caption as written


def seed_opening(template: str, caption: str) -> str:
    """A voice's opening for a caption: the template with {caption} as written, {Caption} with
    its first letter upper case (a dictionary headword), or {CAPTION} in capitals."""
    for place, form in PLACES.items():
        template = template.replace(place, form(caption))
    return template


def _sync(device) -> None:
    if device.type == "cuda":
        import torch
        torch.cuda.synchronize(device)


@dataclass
class Stanza:
    temperature: float
    text: str            # the caption, then what the model wrote
    caption: str         # the (cleaned) caption the stanza starts with
    rng_seed: int        # torch.Generator seed that reproduces this stanza
    copied_span: int     # longest span found verbatim in the corpus (None: no index)
    attempts: int = 1
    original: bool = True
    recurs: list[str] = field(default_factory=list)   # caption words that come back after the first line
    ending: str = "line"   # where the stanza stopped: at the end of a line, a sentence, or (rarely) a word

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Poem:
    stanzas: list[Stanza]
    dropped: str = ""                       # caption characters outside the vocabulary
    timings: dict = field(default_factory=dict)  # seconds: prime, sample, guard
    keep_subject: float = 0.0               # the pull toward the caption's words it was written with


def index_path_for(checkpoint: Path) -> Path | None:
    """The checkpoint's originality index: NAME.ngrams beside it, else the run's corpus.ngrams."""
    for p in (checkpoint.with_suffix(".ngrams"), checkpoint.parent / "corpus.ngrams"):
        if p.exists():
            return p
    return None


class Writer:
    def __init__(self, model: CharLSTM, meta: dict | None = None, index: NgramIndex | None = None,
                 name: str = "writer"):
        meta = meta or {}
        self.model, self.meta, self.index, self.name = model, meta, index, name
        self.path: Path | None = None   # the file it was loaded from (Writer.load)
        self.preseed = meta.get("preseed", "")
        self.seed_template = meta.get("seed_template") or CAPTION   # how the caption opens a stanza
        self._preseed_states: dict[str, tuple] = {}
        if self.preseed:
            self.primed(self.preseed)   # pay for the pre-seed once, at load time

    @classmethod
    def load(cls, checkpoint: str | Path | None = None, device=None, precision: str = "float32") -> "Writer":
        """A checkpoint (default: the shipped model) with its index, stepping at `precision`:
        float32 | bfloat16 | float16 (CUDA) | int8 (CPU; float32 elsewhere)."""
        path = Path(checkpoint) if checkpoint else SHIPPED
        if checkpoint and not path.exists() and (SHIPPED_DIR / f"{checkpoint}.safetensors").exists():
            path = SHIPPED_DIR / f"{checkpoint}.safetensors"   # a shipped voice by name: "dictionary"
        model, meta = load_checkpoint(path, device)
        model.set_precision(precision)
        index = None
        ipath = index_path_for(path)
        if ipath is None:
            log.warning("%s has no originality index (%s): stanzas will not be checked for copying",
                        path, path.with_suffix(".ngrams").name)
        else:
            index = NgramIndex.load(ipath)
            if index.fingerprint != meta.get("corpus", {}).get("fingerprint"):
                raise NgramIndexError(f"{ipath} indexes a different corpus than {path} was trained on; "
                                  "rebuild it with `narrator export ... --corpus`")
        writer = cls(model, meta, index, path.stem)
        writer.path = path
        return writer

    def primed(self, preseed: str):
        """The LSTM state after reading a pre-seed, computed once per pre-seed and kept: a
        voice's pre-seed never changes, so each job only primes its caption on top."""
        if preseed not in self._preseed_states:
            clean, _ = self.model.vocab.clean(preseed)
            self._preseed_states[preseed] = self.model.prime(clean.rstrip("\n"))
        return self._preseed_states[preseed]

    def prime(self, caption: str, preseed: str):
        """(logits, state) after the priming rule: the pre-seed paragraph, a blank line, the
        caption (the caption alone without a pre-seed). The one place that rule is written."""
        if not preseed:
            return self.model.prime(caption)
        return self.model.prime("\n\n" + caption, self.primed(preseed)[1])

    def ends_caption(self, caption: str, logits):
        """The caption is printed as written: when it ends in a letter or digit, the first
        character sampled may not be one ("dim light" never becomes "dim lightning")."""
        if not caption[-1:].isalnum():
            return logits
        logits = logits.clone()
        logits[..., self.word_ids] = float("-inf")
        return logits

    @property
    def word_ids(self) -> list[int]:
        if not hasattr(self, "_word_ids"):
            self._word_ids = [i for i, ch in enumerate(self.model.vocab.chars) if ch.isalnum()]
        return self._word_ids

    def copied_span(self, text: str) -> int | None:
        return self.index.longest_copied_span(text) if self.index else None

    def write(self, caption: str, temperatures: list[float], length: int = 400, seed: str | None = None,
              **options) -> Poem:
        """One stanza per temperature, each starting with the caption (tidied: tidy_caption) in
        the voice's form: `seed` is a template (seed_opening) such as "{Caption}, n. " for a
        dictionary (None: the model's own, saved by export). Options: preseed, top_k, rng_seed,
        max_copy, retries, keep_subject (nats of pull toward the caption's words,
        models/subject.py; 0: none), no_repeat (no content word a third time, models/repeats.py)."""
        caption, dropped = tidy_caption(caption, self.model.vocab)
        opening = seed_opening(self.seed_template if seed is None else seed, caption)
        if opening != caption:
            opening, more = self.model.vocab.clean(opening)
            dropped += more
        return self.write_after(opening, temperatures, length, dropped=dropped, subject=caption, **options)

    def write_after(self, caption: str, temperatures: list[float], length: int = 400,
                    preseed: str | None = None, top_k: int | None = None, rng_seed: int | None = None,
                    max_copy: int = MAX_COPY, retries: int = RETRIES, keep_subject: float = KEEP_SUBJECT,
                    dropped: str = "", subject: str | None = None, no_repeat: bool = NO_REPEAT) -> Poem:
        """write() on an opening taken as it is, clean already (export's pre-seed starts from
        a blank line); `subject`, the caption inside it (default: the opening itself), is what
        the pull leans toward and what counts as coming back."""
        t0 = time.perf_counter()
        model = self.model
        subject = caption if subject is None else subject
        logits, state = self.prime(caption, self.preseed if preseed is None else preseed)
        logits = self.ends_caption(caption, logits)
        pull = SubjectPull(subject, model.vocab, keep_subject) if keep_subject > 0 else None
        _sync(model.device)   # CUDA runs ahead of the host: time what was done, not what was queued
        t1 = time.perf_counter()
        base = secrets.randbits(31) if rng_seed is None else rng_seed
        B = len(temperatures)
        budget = length + max(1, int(length * VERSE_OVER))   # room to finish the line under way
        best: list[Stanza | None] = [None] * B
        todo = list(range(B))
        guard_s = 0.0
        for attempt in range(1 + retries):
            seeds = [base + attempt * B + i for i in todo]
            rows = model.generate(logits, state, [temperatures[i] for i in todo], budget, seeds, top_k,
                                  pull=pull, no_repeat=no_repeat).tolist()   # waits for the device
            g0 = time.perf_counter()
            for i, s, ids in zip(todo, seeds, rows):
                written, ending = finish_verse(model.vocab.decode(ids), length)
                span = self.copied_span(written)
                cand = Stanza(temperatures[i], caption + written, caption, s, span, attempt + 1,
                              recurs=recurring(subject, subject + written), ending=ending)
                if best[i] is None or (span or 0) < (best[i].copied_span or 0):
                    best[i] = cand
                best[i].attempts = attempt + 1
            todo = [i for i in todo if (best[i].copied_span or 0) >= max_copy]
            guard_s += time.perf_counter() - g0
            if not todo:
                break
        for i in todo:
            best[i].original = False
            if retries:
                log.warning("gave up on an original stanza at temperature %s after %d attempts: it copies "
                            "%d characters from the corpus", temperatures[i], 1 + retries, best[i].copied_span)
        t2 = time.perf_counter()
        return Poem(best, dropped, {"prime_s": t1 - t0, "sample_s": t2 - t1 - guard_s, "guard_s": guard_s},
                    keep_subject=keep_subject)
