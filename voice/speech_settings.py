"""The settings of speech on the phone line, read and checked once at start-up.

``check(config)`` turns the raw values (environment strings or test values) into typed ones in
place and raises ``ValueError("NAME: why")`` for a bad one, which ``app.py`` turns into one line
that stops the app (as ``voice.outbound_settings`` does).
"""
from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

DEFAULTS: dict[str, Any] = {
    # Words recognised with a confidence below this are confirmed ("Did you say …? 1 yes,
    # 2 no") before they act; 0 never asks, 1 always does.
    "SPEECH_CONFIRM_BELOW": 0.6,
}


def check(config: MutableMapping[str, Any]) -> None:
    for name, default in DEFAULTS.items():
        config.setdefault(name, default)
    raw = config["SPEECH_CONFIRM_BELOW"]
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise ValueError(f"SPEECH_CONFIRM_BELOW: expected a number from 0 to 1, "
                         f"not {raw!r}") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"SPEECH_CONFIRM_BELOW: expected a number from 0 to 1, not {raw!r}")
    config["SPEECH_CONFIRM_BELOW"] = value
