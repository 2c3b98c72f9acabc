"""Phone audio for the recogniser: G.711 µ-law at 8 kHz decoded and resampled to the 16 kHz
16-bit PCM the Vosk models expect.

numpy rather than ``audioop``: ``audioop`` is deprecated since Python 3.11 and removed in 3.13
(PEP 594), while numpy is already a dependency; a 256-entry table decodes µ-law exactly and a
small polyphase filter doubles the rate, both vectorised. The resampler keeps its history
between frames, so Twilio's 20 ms frames fed one by one give the same samples as the whole
recording at once.
"""
from __future__ import annotations

import numpy as np
import numpy.typing as npt

PHONE_RATE = 8000
MODEL_RATE = 16000


def _mulaw_table() -> npt.NDArray[np.int16]:
    """G.711 µ-law: each byte is the complement of sign, 3-bit exponent and 4-bit mantissa."""
    u = ~np.arange(256, dtype=np.uint8)
    exponent = (u >> 4) & 0x07
    mantissa = (u & 0x0F).astype(np.int32)
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(u & 0x80, -magnitude, magnitude).astype(np.int16)


MULAW = _mulaw_table()


def mulaw_decode(data: bytes) -> npt.NDArray[np.int16]:
    """µ-law bytes → linear 16-bit samples (at the same rate)."""
    return MULAW[np.frombuffer(data, dtype=np.uint8)]


def _half_band(taps: int = 64) -> npt.NDArray[np.float64]:
    """A windowed-sinc low-pass at a quarter of the output rate (4 kHz of 16 kHz), with the gain
    of 2 that zero-stuffed upsampling needs."""
    n = np.arange(taps) - (taps - 1) / 2
    h = np.sinc(n / 2) * np.kaiser(taps, 8.0)
    return 2 * h / h.sum()


class Upsampler:
    """8 kHz → 16 kHz, streaming: each input sample gives two output samples (the two phases
    of the filter), with the last inputs kept for the next frame."""

    def __init__(self) -> None:
        h = _half_band()
        self._phases = (h[0::2], h[1::2])
        self._history = np.zeros(len(self._phases[0]) - 1)

    def process(self, samples: npt.NDArray[np.int16]) -> bytes:
        x = np.concatenate([self._history, samples.astype(np.float64)])
        self._history = x[len(x) - len(self._history):]
        out = np.empty(2 * len(samples))
        out[0::2] = np.convolve(x, self._phases[0], mode="valid")
        out[1::2] = np.convolve(x, self._phases[1], mode="valid")
        return np.clip(np.rint(out), -32768, 32767).astype("<i2").tobytes()

    def reset(self) -> None:
        self._history[:] = 0
