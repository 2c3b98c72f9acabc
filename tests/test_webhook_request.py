"""The webhooks' own request (voice/webhooks.py): Twilio's small posts are parsed as Werkzeug
parses them, anything else goes to Werkzeug's parser, and a webhook makes no cookie session."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, Request
from flask.globals import request_ctx
from flask.sessions import NullSession
from werkzeug.test import EnvironBuilder

from voice.webhook_request import SMALL_FORM, WebhookRequest

BODIES = [
    b"CallSid=CA" + b"0" * 32 + b"&Digits=3&From=%2B358401234567"
    b"&SpeechResult=hyv%C3%A4%C3%A4+p%C3%A4iv%C3%A4%C3%A4",
    b"Digits=&Empty&=nokey&a=1&a=2&plus=1+2%2B3",
    b"SpeechResult=%FF%FEbad+bytes&Digits=%E4",  # not UTF-8: kept as Werkzeug keeps it
    b"Digits=1&Digits=2&Caller=%2B35840%20123",
    b"",
    b"&&a=1&&b&c=%&d=%2&e=%zz&f+g=h+i&%3D=%26&j==k&=",  # empty parts, broken escapes, "=" twice
]


def _environ(body: bytes,
             content_type: str = "application/x-www-form-urlencoded") -> dict[str, Any]:
    return EnvironBuilder(path="/voice/turn", method="POST", data=body,
                          content_type=content_type).get_environ()


@pytest.mark.parametrize("body", BODIES)
def test_small_posts_parse_as_werkzeug_parses_them(body: bytes) -> None:
    ours, theirs = WebhookRequest(_environ(body)), Request(_environ(body))
    assert list(ours.form.items(multi=True)) == list(theirs.form.items(multi=True))
    assert ours.form.to_dict() == theirs.form.to_dict()
    assert not ours.files and ours.get_data() == body  # the body is still there to read


def test_a_long_post_goes_to_werkzeugs_parser_with_its_limits() -> None:
    body = b"Digits=1&pad=" + b"x" * SMALL_FORM
    req = WebhookRequest(_environ(body))
    req.max_content_length = SMALL_FORM  # as MAX_CONTENT_LENGTH sets it
    from werkzeug.exceptions import RequestEntityTooLarge

    with pytest.raises(RequestEntityTooLarge):
        _ = req.form


def test_another_content_type_goes_to_werkzeugs_parser() -> None:
    env = EnvironBuilder(path="/voice/turn", method="POST",
                         data={"Digits": "5", "CallSid": "CA" + "1" * 32}).get_environ()
    assert WebhookRequest(env).form["Digits"] == "5"  # multipart or url-encoded by the builder
    env = _environ(b'{"Digits": "5"}', "application/json")
    assert not WebhookRequest(env).form


def test_webhooks_use_it_and_make_no_session(app: Flask, phone: Any) -> None:
    lean = app.extensions["lampio_webhooks_app"]
    assert lean.request_class is WebhookRequest
    seen: dict[str, Any] = {}

    @lean.after_request
    def look(response: Any) -> Any:
        seen["request"], seen["session"] = type(request_ctx.request), request_ctx.session
        seen["cookie"] = response.headers.get("Set-Cookie")
        return response

    reply = phone.call()
    assert reply.gather is not None
    assert seen["request"] is WebhookRequest
    assert isinstance(seen["session"], NullSession)
    assert seen["cookie"] is None


def test_a_small_post_does_not_use_werkzeugs_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Request) -> None:
        raise AssertionError("Werkzeug's form parser was used")

    monkeypatch.setattr(Request, "_load_form_data", refuse)
    assert WebhookRequest(_environ(BODIES[0])).form["Digits"] == "3"
    with pytest.raises(AssertionError):
        _ = WebhookRequest(_environ(b'{"Digits": "5"}', "application/json")).form
