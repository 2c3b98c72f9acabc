"""Transcripts of providers' recordings with Vosk, so staff can read what was said.

Any input (Twilio's 8 kHz µ-law WAV, an uploaded MP3) is resampled by ffmpeg to the 16 kHz mono
PCM the models expect. A model is loaded once per process, by path, and shared: loading takes
seconds and hundreds of megabytes, recognisers are cheap. With no model for a language the
transcript is marked unavailable — a Korean model would only produce wrong Finnish.
"""
from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from . import storage as st

log = logging.getLogger("lampio.audio.transcribe")

SAMPLE_RATE = 16000
_models: dict[str, Any] = {}
_models_lock = threading.Lock()


class NoModel(LookupError):
    """No Vosk model is configured for this language."""


def parse_models(spec: str) -> dict[str, str]:
    """``VOSK_MODELS`` ("ko=/path/a,en=/path/b") → {"ko": "/path/a", "en": "/path/b"}."""
    out: dict[str, str] = {}
    for part in (p.strip() for p in (spec or "").split(",")):
        if not part:
            continue
        lang, sep, path = part.partition("=")
        if not sep or not lang.strip() or not path.strip():
            raise ValueError(f"VOSK_MODELS entry {part!r} is not lang=path")
        out[lang.strip()] = path.strip()
    return out


def load_model(path: str) -> Any:
    """The process-wide ``vosk.Model`` for ``path`` (always by path, never by language name:
    that would download)."""
    with _models_lock:
        model = _models.get(path)
        if model is None:
            import vosk

            vosk.SetLogLevel(-1)
            if not Path(path).is_dir():
                raise FileNotFoundError(f"Vosk model directory not found: {path}")
            log.info("loading Vosk model %s", path)
            model = vosk.Model(path)
            _models[path] = model
        return model


def loaded_models() -> dict[str, Any]:
    with _models_lock:
        return dict(_models)


def transcribe_pcm(pcm: bytes, model: Any) -> str:
    import vosk

    rec = vosk.KaldiRecognizer(model, SAMPLE_RATE)
    parts: list[str] = []
    step = SAMPLE_RATE * 2 // 2  # half a second of 16-bit samples
    for i in range(0, len(pcm), step):
        if rec.AcceptWaveform(pcm[i:i + step]):
            parts.append(json.loads(rec.Result()).get("text", ""))
    parts.append(json.loads(rec.FinalResult()).get("text", ""))
    return " ".join(p for p in parts if p).strip()


def transcribe_file(path: Path, lang: str, models: dict[str, str]) -> str:
    """The transcript of an audio file in ``lang``; ``NoModel`` when none is configured."""
    model_path = models.get(lang)
    if not model_path:
        raise NoModel(lang)
    model = load_model(model_path)
    return transcribe_pcm(st.to_pcm(path, SAMPLE_RATE), model)
