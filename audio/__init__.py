"""Text-to-speech, the prompt cache, audio storage and conversion."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    pass
