"""The poetic model: a character-level LSTM (torch-rnn's LanguageModel) and its sampler.

    model = CharLSTM(CharLSTMConfig(num_layers=2, rnn_size=512), vocab)
    logits, state = model.prime("a dog on a beach")
    ids = model.generate(logits, state, [0.3, 0.6, 0.9], 400, seeds=[7, 8, 9])

generate() takes one primed state, copies it into one row per temperature, and samples every
temperature together as one batch. Row i draws its random numbers from its own stream (seeds[i]),
so a row of a batch writes exactly what sampling that temperature alone with the same stream
would write. Poems are written through models/writer.py, which adds the pre-seed, the
caption, stanza trimming and the originality guard on top.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn

from .engine import StepEngine, drawer_for, uniforms_for
from .text import Vocab

PRECISIONS = ("float32", "bfloat16", "float16", "int8")


@dataclass
class CharLSTMConfig:
    num_layers: int = 2
    rnn_size: int = 512      # hidden units per layer
    wordvec_size: int = 64   # character embedding size
    dropout: float = 0.0     # between LSTM layers, during training only

    def to_dict(self) -> dict:
        return asdict(self)


def pick_device() -> torch.device:
    """CUDA when present, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


VERSE_OVER = 0.25     # a stanza may run this far past its length to finish its line
PAUSE = ".,;:!?"


def finish_verse(text: str, length: int) -> tuple[str, str]:
    """Cut generated text (sampled up to VERSE_OVER past `length`) where verse ends, never in a
    word: the first line break at or past `length` after a pause (".,;:!?"), else the last such
    break past half of it; then the same for any line break; then a sentence's end; then a
    word's. Returns (the text, how it ends: "line" | "sentence" | "word")."""
    ends = [i for i, ch in enumerate(text) if ch == "\n" and i >= length // 2]
    for want in (lambda i: text[:i].rstrip()[-1:] in PAUSE, lambda i: True):
        good = [i for i in ends if want(i) and text[:i].strip()]
        after = [i for i in good if i >= length]
        if good:
            return text[:after[0] if after else good[-1]].rstrip(), "line"
    stops = [i + 1 for i, ch in enumerate(text[:-1]) if ch in ".!?" and text[i + 1] in " \n" and i >= length // 2]
    if stops:
        return text[:stops[-1]].rstrip(), "sentence"
    if text.endswith(("\n", " ")):
        return text.rstrip(), "line" if text.endswith("\n") else "word"
    cut = text.rfind(" ")
    return (text[:cut].rstrip() if cut > 0 else text.rstrip()), "word"


class CharLSTM(nn.Module):
    def __init__(self, config: CharLSTMConfig, vocab: Vocab):
        super().__init__()
        self.config = config
        self.vocab = vocab
        V = len(vocab)
        self.embed = nn.Embedding(V, config.wordvec_size)
        self.lstm = nn.LSTM(config.wordvec_size, config.rnn_size, config.num_layers,
                            dropout=config.dropout if config.num_layers > 1 else 0.0,
                            batch_first=True)
        self.head = nn.Linear(config.rnn_size, V)
        self.engine_dtype = torch.float32   # the step engine's dtype (bfloat16/float16 optional)
        self.engine_int8 = False            # int8 weights on CPU (rows then share quantisation scales)
        self.use_engine = True              # False: sample through nn.LSTM (the reference path)
        self.max_space_run = 12             # at most this many spaces in a row (None: no limit)

    def forward(self, ids: torch.Tensor, state=None):
        """ids (batch, time) -> logits (batch, time, vocab), new (h, c)."""
        out, state = self.lstm(self.embed(ids), state)
        return self.head(out), state

    # -- sampling -----------------------------------------------------------------------------

    @property
    def device(self) -> torch.device:
        return self.head.weight.device

    @torch.inference_mode()
    def prime(self, text: str, state=None):
        """Run the LSTM over clean text once, from `state` (default: zeros); return (logits of
        its last step (1, V), state)."""
        ids = self.vocab.encode(text or "\n")
        x = torch.tensor([ids], dtype=torch.long, device=self.device)
        logits, state = self(x, state)
        return logits[:, -1], state

    @torch.inference_mode()
    def generate(self, logits, state, temperatures: list[float], length: int,
                 seeds: list[int], top_k: int | None = None, engine: bool | None = None,
                 pull=None, no_repeat: bool = False) -> torch.Tensor:
        """Sample `length` ids for each temperature from one primed (logits, state), as one batch.

        Temperature 0 means greedy (argmax). Row i uses the random stream torch.Generator
        seeded with seeds[i]: its uniforms are drawn up front and turned into characters by
        inverse-CDF lookup, so nothing in the loop waits on the host. The step runs on the
        packed-weight engine (models/engine.py); engine=False steps through nn.LSTM instead,
        the reference the engine is tested and benchmarked against. `pull`: a SubjectPull
        (models/subject.py) that leans every row toward the caption's words; `no_repeat`: no
        content word a third time (models/repeats.py).
        """
        if self.use_engine if engine is None else engine:
            return self.engine(len(temperatures)).generate(logits, state, temperatures, length, seeds, top_k, pull,
                                                             no_repeat)
        B, dev = len(temperatures), self.device
        uniforms = uniforms_for(seeds, length, dev)
        draw = drawer_for(self, B).set(temperatures, top_k, self.max_space_run, pull, no_repeat)
        logits = logits.expand(B, -1).float()
        h, c = (s.expand(-1, B, -1).contiguous() for s in state)
        out = torch.empty(B, length, dtype=torch.long, device=dev)
        for t in range(length):
            nxt = draw(logits, uniforms[:, t])
            out[:, t] = nxt
            step_logits, (h, c) = self(nxt.unsqueeze(1), (h, c))
            logits = step_logits[:, -1].float()
        return out

    def set_precision(self, precision: str) -> None:
        """How the step engine computes: float32 | bfloat16 | float16 | int8 (int8 is a CPU
        kernel: float32 elsewhere). Chosen once, when the writer is loaded."""
        if precision not in PRECISIONS:
            raise ValueError(f"precision {precision!r} is not one of {', '.join(PRECISIONS)}")
        self.engine_int8 = precision == "int8" and self.device.type == "cpu"
        self.engine_dtype = getattr(torch, precision) if precision in ("bfloat16", "float16") else torch.float32
        self.__dict__.pop("_engines", None)

    def engine(self, batch: int, dtype: torch.dtype | None = None) -> StepEngine:
        """The step engine for this batch size, built once and kept: it packs a copy of the
        weights, so a model whose weights change afterwards must drop `_engines` (sampling
        models are frozen; the trainer never samples)."""
        dtype = dtype or self.engine_dtype
        key = (batch, dtype, self.engine_int8, self.device)
        engines = self.__dict__.setdefault("_engines", {})
        if key not in engines:
            engines[key] = StepEngine(self, batch, dtype, int8=self.engine_int8)
        return engines[key]
