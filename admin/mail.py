"""E-mail for the admin's one-time password links, when an SMTP server is configured.

Without ``SMTP_HOST`` (the embedded default) nothing is sent: staff hand the link over
themselves. The settings are read and checked once at start (``check``), so a typo in the port
or the TLS mode stops the app with one line instead of failing when staff press the button.
"""
from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping, MutableMapping
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

DEFAULTS: dict[str, Any] = {
    "SMTP_HOST": "",  # empty: no e-mail, the link is only shown to staff
    "SMTP_PORT": 587,
    "SMTP_TLS": "starttls",  # starttls, ssl (implicit TLS, usually port 465) or none (no login)
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "SMTP_FROM": "",  # the sender address; required with SMTP_HOST
    "SMTP_TIMEOUT": 10,  # seconds to connect and talk to the server
    "PASSWORD_RESET_HOURS": 24,  # a one-time link expires after this many hours
}
TLS_MODES = ("starttls", "ssl", "none")


def _whole(config: MutableMapping[str, Any], name: str, low: int, high: int) -> None:
    raw = config.get(name, DEFAULTS[name])
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ValueError(f"{name}: expected a whole number from {low} to {high}, not {raw!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{name}: expected a whole number from {low} to {high}, not {raw!r}")
    config[name] = value


def _address(text: str) -> bool:
    _name, addr = parseaddr(text)
    local, _, domain = addr.partition("@")
    return bool(local and "." in domain and " " not in addr)


def check(config: MutableMapping[str, Any]) -> None:
    """Typed values in place; ``ValueError("NAME: why")`` for a bad one."""
    for name, default in DEFAULTS.items():
        config.setdefault(name, default)
    _whole(config, "SMTP_PORT", 1, 65535)
    _whole(config, "SMTP_TIMEOUT", 1, 120)
    _whole(config, "PASSWORD_RESET_HOURS", 1, 168)
    mode = str(config["SMTP_TLS"] or "").strip().lower()
    if mode not in TLS_MODES:
        raise ValueError(f"SMTP_TLS: expected one of {', '.join(TLS_MODES)}, not {config['SMTP_TLS']!r}")
    config["SMTP_TLS"] = mode
    host = str(config["SMTP_HOST"] or "").strip()
    config["SMTP_HOST"] = host
    sender = str(config["SMTP_FROM"] or "").strip()
    if host and not _address(sender):
        raise ValueError(f"SMTP_FROM: expected the sender's e-mail address with SMTP_HOST, "
                         f"not {sender!r}")
    if bool(config["SMTP_USERNAME"]) != bool(config["SMTP_PASSWORD"]):
        raise ValueError("SMTP_PASSWORD: SMTP_USERNAME and SMTP_PASSWORD go together")
    if mode == "none" and config["SMTP_USERNAME"]:
        raise ValueError("SMTP_TLS: none would send SMTP_PASSWORD unencrypted; use starttls or ssl")


def configured(config: Mapping[str, Any]) -> bool:
    return bool(config.get("SMTP_HOST"))


def send(config: Mapping[str, Any], to: str, subject: str, body: str) -> None:
    """One plain-text message; ``OSError`` or ``smtplib.SMTPException`` when it cannot go."""
    msg = EmailMessage()
    msg["From"] = str(config["SMTP_FROM"])
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    host, port, timeout = str(config["SMTP_HOST"]), int(config["SMTP_PORT"]), int(config["SMTP_TIMEOUT"])
    context = ssl.create_default_context()
    if config["SMTP_TLS"] == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        server = smtplib.SMTP(host, port, timeout=timeout)
    with server:
        if config["SMTP_TLS"] == "starttls":
            server.starttls(context=context)
        if config.get("SMTP_USERNAME"):
            server.login(str(config["SMTP_USERNAME"]), str(config["SMTP_PASSWORD"]))
        server.send_message(msg)
