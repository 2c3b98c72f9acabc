"""The settings of speech on the phone line, read and checked once at start-up.

``check(config)`` turns the raw values (environment strings or test values) into typed ones in
place and raises ``ValueError("NAME: why")`` for a bad one, which ``app.py`` turns into one line
that stops the app (as ``voice.outbound_settings`` does).
"""
from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from audio.transcribe import parse_models
from catalogue.languages import LANGUAGES

DEFAULTS: dict[str, Any] = {
    # Words recognised with a confidence below this are confirmed ("Did you say …? 1 yes,
    # 2 no") before they act; 0 never asks, 1 always does.
    "SPEECH_CONFIRM_BELOW": 0.6,
    # Who recognises callers' words: "twilio" (its <Gather> speech) or "vosk" (offline, through
    # Twilio Media Streams, for each language with a model; the others keep Twilio's).
    "SPEECH_BACKEND": "twilio",
    # With vosk: which model listens to each service language, "fi=ko,en=en" (a model by its
    # VOSK_MODELS language); empty: each service language that VOSK_MODELS has a model for.
    "SPEECH_VOSK_LANGS": "",
}
BACKENDS = ("twilio", "vosk")


def phone_models(config: Mapping[str, Any]) -> dict[str, str]:
    """Service language → the language (a ``VOSK_MODELS`` key) of the model that listens to it
    on the phone; empty with Twilio's recognition."""
    if config.get("SPEECH_BACKEND") != "vosk":
        return {}
    models = parse_models(str(config.get("VOSK_MODELS") or ""))
    spec = str(config.get("SPEECH_VOSK_LANGS") or "").strip()
    if not spec:
        return {lang: lang for lang in LANGUAGES if lang in models}
    out: dict[str, str] = {}
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        lang, sep, model = (s.strip() for s in part.partition("="))
        if not sep or lang not in LANGUAGES or not model:
            raise ValueError(f"SPEECH_VOSK_LANGS: {part!r} is not service-language=model-language "
                             f"(service languages: {', '.join(LANGUAGES)})")
        if model not in models:
            raise ValueError(f"SPEECH_VOSK_LANGS: no model {model!r} in VOSK_MODELS")
        out[lang] = model
    return out


def check(config: MutableMapping[str, Any]) -> None:
    for name, default in DEFAULTS.items():
        config.setdefault(name, default)
    raw = config["SPEECH_CONFIRM_BELOW"]
    try:
        value = float(str(raw).strip())
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"SPEECH_CONFIRM_BELOW: expected a number from 0 to 1, not {raw!r}")
    config["SPEECH_CONFIRM_BELOW"] = value
    backend = str(config["SPEECH_BACKEND"] or "twilio").strip().lower()
    if backend not in BACKENDS:
        raise ValueError(f"SPEECH_BACKEND: expected {' or '.join(BACKENDS)}, not {backend!r}")
    config["SPEECH_BACKEND"] = backend
    try:
        langs = phone_models(config)
    except ValueError as exc:  # VOSK_MODELS itself is named by app.py's own check
        raise ValueError(str(exc) if str(exc).startswith("SPEECH_") else f"VOSK_MODELS: {exc}") \
            from None
    if backend == "vosk" and not langs:
        raise ValueError(f"SPEECH_BACKEND: vosk needs a model for {', '.join(LANGUAGES)} or "
                         f"SPEECH_VOSK_LANGS (VOSK_MODELS has none of them)")
