"""The phone channel: Twilio webhooks (TwiML), where a call's state lives between them, and the
phone simulator that speaks to the same webhooks. It builds the flows' context (``Ctx``) and
connects the flows to the audio service."""
from __future__ import annotations

import logging

from flask import Flask

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    from catalogue.db import get_sessionmaker
    from catalogue.programme_cache import ProgrammeCache

    from ivr_flows import spoken
    from ivr_flows.office_hours import OfficeHours

    from . import browser_phone, simulator_cli
    from .blueprint import bp
    from .room_control import RoomControl
    from .twilio_rest import simulated
    from .visits import VisitBuffer

    app.register_blueprint(bp)
    from . import media_stream

    media_stream.init_app(app)  # SPEECH_BACKEND=vosk: the shared models and recognisers
    audio = app.extensions.get("lampio_audio")
    if audio is not None:  # the audio worker renders what the flows can say
        hours = OfficeHours.parse(app.config["OFFICE_HOURS"])
        audio.sentences = lambda db, now, ids: spoken.sentences(db, now, ids, hours=hours)
    if audio is not None and simulated(app):  # the simulator's recordings: from loopback
        from .twilio_sim import simulate_media

        simulate_media(app, audio.recordings)
    app.extensions["lampio_programme"] = ProgrammeCache(
        recheck=float(app.config.get("PROGRAMME_RECHECK_SECONDS", 1.0)))
    app.extensions["lampio_visits"] = VisitBuffer(
        get_sessionmaker(app), flush_every=float(app.config.get("VISITS_FLUSH_SECONDS", 2.0)))
    from . import turn_memo

    turn_memo.init_app(app)  # reading turns' answers, shared by the callers at the same place
    app.extensions["lampio_rooms"] = RoomControl(app)  # the live console's actions
    browser_phone.init_app(app)  # the admin's /admin/phone, signed here
    simulator_cli.init_app(app)
    from . import assistant_cli

    assistant_cli.init_app(app)
    from .outbound_cli import calls_cli
    from .outbound_job import start_on_first_request

    app.cli.add_command(calls_cli)
    if app.config.get("SCHEDULER", True) and not app.config.get("TESTING"):
        start_on_first_request(app)  # the calls we make, every CALLS_JOB_INTERVAL seconds
    if app.config.get("TWILIO_SKIP_SIGNATURE"):
        log.warning("!!! TWILIO_SKIP_SIGNATURE is on: webhooks accept unsigned requests. "
                    "Development only. !!!")
