"""The one place the Twilio REST client is made.

``TWILIO_HTTP_CLIENT`` (a ``twilio.http.HttpClient``), when set, carries every request: the tests
set one that records requests and never reaches the network. Otherwise the client talks to
Twilio with the account's SID and auth token.
"""
from __future__ import annotations

from flask import Flask
from twilio.rest import Client


def rest_client(app: Flask) -> Client:
    cfg = app.config
    return Client(cfg.get("TWILIO_ACCOUNT_SID") or None, cfg.get("TWILIO_AUTH_TOKEN") or None,
                  http_client=cfg.get("TWILIO_HTTP_CLIENT"))
