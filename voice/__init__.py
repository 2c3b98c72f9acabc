"""The channels: Twilio webhooks, speech, outbound calls, the simulator, the voice assistant."""
from __future__ import annotations

import logging

from flask import Flask

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    from . import simulator_cli
    from .blueprint import bp

    app.register_blueprint(bp)
    simulator_cli.init_app(app)
    if app.config.get("TWILIO_SKIP_SIGNATURE"):
        log.warning("!!! TWILIO_SKIP_SIGNATURE is on: webhooks accept unsigned requests. "
                    "Development only. !!!")
