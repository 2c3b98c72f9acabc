"""A kept answer given in front of Flask (``voice.turn_memo.answer_early``, wired by
``voice.webhooks.dispatch``): the same bytes and headers the view gives, the same signature
check, and the view still answering whatever the early path leaves to it."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request_started
from twilio.request_validator import RequestValidator

from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.phone import Phone
from tests.test_turn_memo import WALK, _memo, _phone, _walk, _who, memo_app  # noqa: F401
from voice import turn_memo
from voice.simulator import SimulatedCall

Seen = list[tuple[int, dict[str, str], bytes]]


class _Recording(SimulatedCall):
    """A caller whose every response (status, headers, bytes) is kept."""

    def __init__(self, app: Flask, number: str) -> None:
        self.seen: Seen = []
        client = app.test_client()

        def transport(path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
            resp = client.post(path, data=form, headers=headers, base_url=PUBLIC_BASE_URL)
            self.seen.append((resp.status_code, dict(resp.headers), resp.get_data()))
            return resp.status_code, resp.get_data(as_text=True)

        super().__init__(transport, AUTH_TOKEN, PUBLIC_BASE_URL, from_number=number)


@contextmanager
def entered_views(app: Flask) -> Iterator[list[str]]:
    """The paths of the requests the webhooks' own Flask app handled meanwhile."""
    lean = app.extensions["lampio_webhooks_app"]
    seen: list[str] = []

    def started(sender: Any, **_: Any) -> None:
        from flask import request
        seen.append(request.path)

    request_started.connect(started, lean)
    try:
        yield seen
    finally:
        request_started.disconnect(started, lean)


@pytest.fixture
def views_entered(memo_app: Flask) -> Iterator[list[str]]:  # noqa: F811
    with entered_views(memo_app) as seen:
        yield seen


def test_a_kept_answer_is_given_in_front_of_flask_as_the_view_gives_it(
        memo_app: Flask, views_entered: list[str]) -> None:  # noqa: F811
    memo = _memo(memo_app)
    first = _Recording(memo_app, "+358401000001")
    firsts = _walk(first)
    assert len(views_entered) == len(first.seen)  # every turn worked out by the view
    second = _Recording(memo_app, "+358401000002")
    second.call()
    early = 0
    for i, key in enumerate(WALK, start=1):
        hits, entered = memo.hits, len(views_entered)
        turn = second.press(key)
        if memo.hits == hits:
            continue
        early += 1
        assert len(views_entered) == entered  # no Flask request for it
        status, headers, body = second.seen[i]
        want_status, want_headers, want_body = first.seen[i]
        assert status == want_status == 200
        assert headers.keys() == want_headers.keys()
        assert {k: v for k, v in headers.items() if k != "Content-Length"} == \
            {k: v for k, v in want_headers.items() if k != "Content-Length"}
        assert int(headers["Content-Length"]) == len(body)
        assert headers["X-Content-Type-Options"] == "nosniff"
        who, want_who = _who(turn), _who(firsts[i])
        assert body.replace(who.encode(), b"W") == want_body.replace(want_who.encode(), b"W")
    assert early >= 3


def test_a_kept_turn_with_a_bad_signature_is_refused(memo_app: Flask,  # noqa: F811
                                                     views_entered: list[str]) -> None:
    _walk(_phone(memo_app, "+358401000001"))
    phone = _phone(memo_app, "+358401000002")
    turns = _walk(phone, WALK[:-1])
    memo = _memo(memo_app)
    hits = memo.hits
    phone.validator = RequestValidator("not-the-token")
    assert turns[-1].gather is not None
    refused = phone.post(turns[-1].gather.get("action") or "", {"Digits": "3"})
    assert refused.status == 403 and views_entered[-1] == "/voice/turn"  # the view refused it
    assert memo.hits == hits + 1  # it was kept, and still not given


def test_what_the_early_path_leaves_the_view_answers_from_the_memo(
        memo_app: Flask, views_entered: list[str],  # noqa: F811
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """The programme's change counter due (a session needed) and a failure in front of Flask:
    the view works out the key itself and answers from the memo all the same."""
    first = _walk(_phone(memo_app, "+358401000001"))
    memo = _memo(memo_app)
    programme = memo_app.extensions["lampio_programme"]
    monkeypatch.setattr(programme, "stamp_here", lambda now: None)
    hits, entered = memo.hits, len(views_entered)
    second = _walk(_phone(memo_app, "+358401000002"))
    assert memo.hits - hits >= 3 and len(views_entered) - entered == len(second)
    monkeypatch.undo()

    real = turn_memo.check_who
    failed: list[bool] = []

    def once(*args: Any) -> dict[str, Any] | None:
        if not failed:
            failed.append(True)
            raise RuntimeError("broken in front of Flask")
        return real(*args)

    monkeypatch.setattr(turn_memo, "check_who", once)
    caplog.set_level(logging.ERROR, "voice.turn_memo")
    hits = memo.hits
    third = _walk(_phone(memo_app, "+358401000003"))
    assert failed and "could not be given in front of Flask" in caplog.text
    assert memo.hits - hits >= 3
    assert [t.said for t in third] == [t.said for t in first]


def test_a_turn_with_no_kept_answer_reads_its_own_keys(memo_app: Flask) -> None:  # noqa: F811
    """The body read in front of Flask is put back: the view hears the same Digits."""
    phone: Phone = _phone(memo_app, "+358401000001")
    turns = _walk(phone, ("1", "1", "4", "3"))
    other = _walk(_phone(memo_app, "+358401000002"), ("1", "1", "4", "9"))
    assert turns[-1].said != other[-1].said


def test_a_turn_from_a_state_nothing_is_kept_from_goes_to_the_view_at_once(
        memo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """Only a state some answer was kept from is keyed in front of Flask: a first caller's
    turns (and a confirm, a read-back) go straight to the view, which keys them itself."""
    keyed: list[str] = []
    real = turn_memo.turn_key

    def counted(app: Flask, request: Any, *args: Any) -> Any:
        keyed.append("early" if app is memo_app.extensions["lampio_webhooks_app"] else "view")
        return real(app, request, *args)

    monkeypatch.setattr(turn_memo, "turn_key", counted)
    first = _walk(_phone(memo_app, "+358401000001"))
    assert "early" not in keyed and keyed.count("view") == len(first) - 1  # all but the start
    keyed.clear()
    memo = _memo(memo_app)
    hits = memo.hits
    second = _walk(_phone(memo_app, "+358401000002"))
    assert memo.hits - hits >= 3 and keyed.count("early") >= 3
    assert [t.said for t in second] == [t.said for t in first]


def test_the_states_kept_from_are_bounded_and_expire(memo_app: Flask) -> None:  # noqa: F811
    memo = turn_memo.TurnMemo(memo_app.extensions["lampio_engine"], size=2, seconds=60)
    for n in range(10):
        memo.put((f"state{n}", "input", "1"), "<Response/>", ())
    assert memo.may_hold("state9") and memo.may_hold("state8")
    assert not memo.may_hold("state0") and not memo.may_hold("never")
    assert len(memo._states) <= 4  # pruned to the entries held, at twice the size
    gone = turn_memo.TurnMemo(memo_app.extensions["lampio_engine"], size=2, seconds=-1)
    gone.put(("state", "input", "1"), "<Response/>", ())
    assert not gone.may_hold("state")  # expired with its entry
