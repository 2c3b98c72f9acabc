"""The one place a Twilio REST client is made.

``TWILIO_HTTP_CLIENT`` (a ``twilio.http.HttpClient``) wins when set: the tests put a fake there
that records every request, so no test reaches the network. Without a real account (no
``TWILIO_ACCOUNT_SID``, the embedded default) the client talks to ``voice.twilio_sim``, which
keeps the calls it is asked to place for ``lampio call --answer`` to pick up; so the whole loop
runs on one machine. Otherwise it is the real Twilio API.
"""
from __future__ import annotations

from flask import Flask
from twilio.rest import Client

SIMULATED_ACCOUNT = "AC" + "0" * 32


def simulated(app: Flask) -> bool:
    """True when calls go to the simulator, not to Twilio (no account, no injected client)."""
    return app.config.get("TWILIO_HTTP_CLIENT") is None and not app.config.get("TWILIO_ACCOUNT_SID")


def rest_client(app: Flask) -> Client:
    http = app.config.get("TWILIO_HTTP_CLIENT")
    if http is None and simulated(app):
        from .twilio_sim import SimulatedTwilio

        http = SimulatedTwilio.for_app(app)
    sid = app.config.get("TWILIO_ACCOUNT_SID") or SIMULATED_ACCOUNT
    return Client(sid, app.config["TWILIO_AUTH_TOKEN"], http_client=http)
