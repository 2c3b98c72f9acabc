"""The Twilio webhooks' URL table."""
from __future__ import annotations

from flask import Blueprint

from . import hangup, room_recorded, views

bp = Blueprint("voice", __name__, url_prefix="/voice")
bp.add_url_rule("/incoming", view_func=views.incoming, methods=["POST"])
bp.add_url_rule("/provider/incoming", view_func=views.provider_incoming, methods=["POST"])
bp.add_url_rule("/assistant/incoming", view_func=views.assistant_incoming, methods=["POST"])
bp.add_url_rule(views.TURN_PATH.removeprefix("/voice"), view_func=views.turn, methods=["POST"])
bp.add_url_rule(hangup.STATUS_PATH.removeprefix("/voice"), view_func=views.status,
                methods=["POST"])
bp.add_url_rule("/fallback", view_func=views.fallback, methods=["POST"])
bp.add_url_rule("/room/recorded", view_func=room_recorded.room_recorded, methods=["POST"])
bp.register_error_handler(Exception, views.on_error)

# Live rooms (voice/rooms.py); /voice/room/recorded belongs to the recordings on demand.
from . import rooms  # noqa: E402

bp.add_url_rule("/room/wait", "room_wait", view_func=rooms.wait, methods=["POST"])
bp.add_url_rule("/room/waiting.wav", "room_waiting_sound", view_func=rooms.waiting_sound_file,
                methods=["GET", "HEAD"])
bp.add_url_rule("/room/events", "room_events", view_func=rooms.events, methods=["POST"])
bp.add_url_rule("/room/announce", "room_announce", view_func=rooms.announce,
                methods=["POST"])

# The calls the service makes (voice/outbound_views.py).
from . import outbound_views  # noqa: E402

bp.add_url_rule("/outbound", "outbound_answered", view_func=outbound_views.answered,
                methods=["POST"])
bp.add_url_rule("/outbound/status", "outbound_ended", view_func=outbound_views.ended,
                methods=["POST"])

# Twilio Media Streams: the caller's audio for Vosk (voice/media_stream.py), a websocket.
from flask_sock import Sock  # noqa: E402

from . import media_stream  # noqa: E402

Sock().route(media_stream.STREAM_PATH.removeprefix("/voice"), bp=bp,
             endpoint="media_stream")(media_stream.stream)
