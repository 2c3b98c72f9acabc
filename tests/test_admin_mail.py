"""The one-time password link by e-mail when SMTP is configured, against a local SMTP server
(aiosmtpd on loopback: no network), and the mail settings checked at start."""
from __future__ import annotations

import socket
from collections.abc import Iterator
from email import policy
from email.parser import BytesParser
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session as DbSession

from app import SettingError, create_app
from tests import factories as f
from tests.admin_support import post, provider_user
from tests.test_admin_users import _link
from tests.test_admin_views import as_staff  # noqa: F401  (the fixture: staff logged in)


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Inbox]]:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # a free port on loopback (the controller checks its own)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def test_with_smtp_configured_the_link_is_also_emailed(app: Flask, db: DbSession, as_staff: Any,
                                                       smtp_server: tuple[int, _Inbox]) -> None:
    port, inbox = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TLS="none",
                      SMTP_FROM="lampio@example.test")
    user = provider_user(db, f.provider(db))
    db.commit()
    page = f"/admin/users/{user.id}"
    resp = post(as_staff, f"{page}/link", {}, page=page)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Linkki lähetettiin myös sähköpostilla" in html
    link = _link(html)
    assert len(inbox.messages) == 1
    envelope = inbox.messages[0]
    assert envelope.rcpt_tos == ["prov@example.test"] and envelope.mail_from == "lampio@example.test"
    message = BytesParser(policy=policy.default).parsebytes(envelope.content)
    assert message["Subject"] == "Lämpiö-puhelin: aseta salasanasi"
    body = message.get_body()
    assert body is not None and link in body.get_content()
    # a server that is not there: the page says so, and the link is still shown to hand over
    app.config.update(SMTP_PORT=1)
    failed = post(as_staff, f"{page}/link", {}, page=page)
    assert failed.status_code == 200 and "Sähköpostin lähetys epäonnistui" in failed.get_data(as_text=True)
    assert _link(failed.get_data(as_text=True)) != link


@pytest.mark.parametrize(("env", "name"), [
    ({"SMTP_PORT": "smtp"}, "SMTP_PORT"),
    ({"SMTP_TLS": "maybe"}, "SMTP_TLS"),
    ({"SMTP_HOST": "mail.example.test"}, "SMTP_FROM"),
    ({"SMTP_HOST": "mail.example.test", "SMTP_FROM": "x@example.test", "SMTP_USERNAME": "u"},
     "SMTP_PASSWORD"),
    ({"PASSWORD_RESET_HOURS": "0"}, "PASSWORD_RESET_HOURS"),
    ({"SMTP_HOST": "mail.example.test", "SMTP_FROM": "x@example.test", "SMTP_TLS": "none",
      "SMTP_USERNAME": "u", "SMTP_PASSWORD": "p"}, "SMTP_TLS"),
])
def test_bad_mail_settings_stop_the_app_naming_them(env: dict[str, str], name: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingError, match=f"^{name}: "):
        create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})


def test_mail_settings_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_HOST", " mail.example.test ")
    monkeypatch.setenv("SMTP_PORT", "465")
    monkeypatch.setenv("SMTP_TLS", "SSL")
    monkeypatch.setenv("SMTP_FROM", "Lämpiö <lampio@example.test>")
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})
    assert (app.config["SMTP_HOST"], app.config["SMTP_PORT"], app.config["SMTP_TLS"]) == (
        "mail.example.test", 465, "ssl")
