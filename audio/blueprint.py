"""The ``/audio`` blueprint (no signature check: Twilio fetches media with plain GETs)."""
from __future__ import annotations

from flask import Blueprint

from . import routes
from .service import URL_PREFIX

bp = Blueprint("audio", __name__, url_prefix=URL_PREFIX)
bp.add_url_rule("/recordings/<name>.json", view_func=routes.recording_info, methods=["GET"])
bp.add_url_rule("/recordings/<name>.<ext>", view_func=routes.recording, methods=["GET", "HEAD"])
bp.add_url_rule("/<key>.<ext>", view_func=routes.prompt, methods=["GET", "HEAD"])
