"""The Twilio webhooks' URL table."""
from __future__ import annotations

from flask import Blueprint

from . import views

bp = Blueprint("voice", __name__, url_prefix="/voice")
bp.add_url_rule("/incoming", view_func=views.incoming, methods=["POST"])
bp.add_url_rule("/provider/incoming", view_func=views.provider_incoming, methods=["POST"])
bp.add_url_rule("/turn", view_func=views.turn, methods=["POST"])
bp.add_url_rule("/status", view_func=views.status, methods=["POST"])
bp.add_url_rule("/fallback", view_func=views.fallback, methods=["POST"])
bp.register_error_handler(Exception, views.on_error)

# The calls the service makes (voice/outbound_views.py).
from . import outbound_views  # noqa: E402

bp.add_url_rule("/outbound", "outbound_answered", view_func=outbound_views.answered,
                methods=["POST"])
bp.add_url_rule("/outbound/status", "outbound_ended", view_func=outbound_views.ended,
                methods=["POST"])
