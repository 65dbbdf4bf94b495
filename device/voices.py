"""The device's voices: what the knob chooses between, loaded once and kept warm.

    voices = load_voices(config)            # [Voice(name, writer, captioner, temperatures, ...)]
    selector = VoiceSelector(len(voices))
    voices[selector.update(knob_position)].writer.write(caption, ...)

A voice is a configured way of writing: a writer (models/writer.py: the char-LSTM with its
pre-seed and originality guard), a captioner, temperatures, a length, and a pre-seed override.
Voices often share a model or a captioner, which is then loaded once.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from models.captioners import Captioner, get_captioner
from models.defaults import KEEP_SUBJECT
from models.writer import Writer


@dataclass
class Voice:
    """A configured voice with its writer and captioner loaded and warm."""
    name: str
    writer: Writer
    captioner: Captioner
    temperatures: list[float]
    length: int
    preseed: str | None = None
    keep_subject: float = KEEP_SUBJECT   # nats of pull toward the caption's words
    seed_template: str = ""              # how the caption opens each stanza ("": the model's own)


def load_voices(config) -> list[Voice]:
    """Load each model and captioner once, however many voices share them (voices often
    differ only in temperatures, length or pre-seed). Precision is chosen here, at load."""
    captioners, writers = {}, {}
    voices = []
    for v in config.voices:
        if v.captioner not in captioners:
            options = dataclasses.asdict(config.hf) if v.captioner == "hf" else {}
            captioners[v.captioner] = get_captioner(v.captioner, **options)
        key = (v.model, v.precision)
        if key not in writers:
            writers[key] = Writer.load(v.model or None, precision=v.precision)
        voices.append(Voice(v.name, writers[key], captioners[v.captioner], v.temperatures, v.length, v.preseed,
                            v.keep_subject, v.seed_template))
    return voices


class VoiceSelector:
    def __init__(self, n_voices: int, hysteresis: float = 0.04, index: int = 0):
        self.n, self.hysteresis, self.index = n_voices, hysteresis, index

    def update(self, position: float) -> int:
        """Feed a knob position in 0..1; returns the selected voice index. The knob's range is
        cut into n equal bands; the voice changes only once the knob is `hysteresis` past the
        edge of the current voice's band."""
        position = min(1.0, max(0.0, position))
        lo, hi = self.index / self.n, (self.index + 1) / self.n
        if position < lo - self.hysteresis or position > hi + self.hysteresis:
            self.index = min(self.n - 1, int(position * self.n))
        return self.index
