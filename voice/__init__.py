"""The channels: Twilio webhooks, speech, outbound calls, the simulator, the voice assistant."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    pass
