"""Knob -> voice, with hysteresis so a noisy potentiometer near a boundary does not flicker."""
from __future__ import annotations


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
