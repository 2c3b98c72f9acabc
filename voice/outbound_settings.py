"""The settings of the calls the service makes, read and checked once at start-up.

``check(config)`` turns the raw values (environment strings or test values) into typed ones in
place and raises ``ValueError("NAME: why")`` for a bad one, which ``app.py`` turns into one line
that stops the app: a wrong quiet-hours value must not be found out at nine in the evening.
"""
from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from catalogue.callers import normalise
from catalogue.outbound import CallRules, QuietHours

DEFAULTS: dict[str, Any] = {
    "SERVICE_PHONE_NUMBER": "",  # the number people call; said to answering machines, caller ID
    "CALL_REMINDER_MINUTES": 10,  # the call before a phone performance, minutes before the start
    "CALL_QUIET_HOURS": "20:00-09:00",  # Helsinki time; no calls are placed in it
    "CALLS_PER_SECOND": 1.0,  # outbound calls placed per second, over all job runners together
    "CALLS_JOB_INTERVAL": 60,  # seconds between the scheduler thread's `calls run` passes
}


def _number(config: MutableMapping[str, Any], name: str, kind: type, low: float,
            high: float) -> None:
    raw = config.get(name, DEFAULTS[name])
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {raw!r} is not a number") from None
    if not low <= value <= high:
        raise ValueError(f"{name}: {value} is outside {low}–{high}")
    config[name] = value


def check(config: MutableMapping[str, Any]) -> None:
    for name, default in DEFAULTS.items():
        config.setdefault(name, default)
    _number(config, "CALL_REMINDER_MINUTES", int, 1, 15)  # the room opens 15 minutes before
    _number(config, "CALLS_PER_SECOND", float, 0.01, 100)
    _number(config, "CALLS_JOB_INTERVAL", int, 5, 3600)
    try:
        QuietHours.parse(str(config["CALL_QUIET_HOURS"]))
    except ValueError as exc:
        raise ValueError(f"CALL_QUIET_HOURS: {exc}") from None
    number = str(config["SERVICE_PHONE_NUMBER"] or "").strip()
    if not number and config.get("TWILIO_ACCOUNT_SID") and not config.get("TESTING"):
        # The prompts promise calls; with a real account they need a number to come from.
        raise ValueError("SERVICE_PHONE_NUMBER: required with a Twilio account "
                         "(the calls the service makes come from it)")
    if number:
        e164 = normalise(number)
        if e164 is None:
            raise ValueError(f"SERVICE_PHONE_NUMBER: {number!r} is not a valid phone number")
        config["SERVICE_PHONE_NUMBER"] = e164


def rules(config: MutableMapping[str, Any]) -> CallRules:
    return CallRules(reminder_minutes=int(config["CALL_REMINDER_MINUTES"]),
                     quiet=QuietHours.parse(str(config["CALL_QUIET_HOURS"])))
