"""Never promise what the service does not do: every prompt, in every language, that promises a
call, news or a way to listen names the mechanism behind it and the test that shows it working.
A new promise without one fails here; so does a listed mechanism whose test is gone."""
from __future__ import annotations

import importlib
import re
from datetime import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from catalogue.models import CallbackRequest
from ivr_flows import prompts
from tests.admin_support import login, post, staff
from tests.phone import Phone

PROMISE = {
    "fi": r"soitamme|soitetaan|ilmoitamme|kerromme|päävalikossa (2|kaksi)|paina päävalikossa",
    "sv": r"vi ringer|ringer vi|meddelar|vi berättar|(2|två) i huvudmenyn",
    "en": r"we will call|we'll call|call you back|let (you|them) know|we will tell|"
          r"in the main menu, press",
}
# prompt key -> the test (module::function) that shows the promise kept
KEPT = {
    # 0 when nobody is in: "shall we call you?" — only the 1 after it stores a request, and
    # "we will call you tomorrow" is said after it is stored.
    "person.call_back": "tests.test_promises::test_a_call_back_request_reaches_staff",
    "person.call_back_yes": "tests.test_promises::test_a_call_back_request_reaches_staff",
    "person.call_back_done": "tests.test_promises::test_a_call_back_request_reaches_staff",
    "register.next_phone": "tests.test_outbound_jobs::test_we_will_call_you_before_it_starts_has_its_call",
    "register.next_phone_other": "tests.test_outbound_jobs::test_we_will_call_you_before_it_starts_has_its_call",
    "register.waiting": "tests.test_outbound_jobs::test_we_will_let_you_know_has_its_call",
    "register.waiting_other": "tests.test_outbound_jobs::test_we_will_let_you_know_has_its_call",
    "register.next_recording": "tests.test_recordings_by_phone::test_take_part_now_lists_recordings_and_plays_them_in_parts",
    "register.recording": "tests.test_recordings_by_phone::test_take_part_now_lists_recordings_and_plays_them_in_parts",
    # "We will not call you again": a refusal, kept by the outbound job.
    "call.no_calls_done": "tests.test_outbound_calls::test_dont_call_me",
    "call.no_calls": "tests.test_outbound_calls::test_dont_call_me",  # "if you want no calls"
}


def _sentences(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if not (path == "" and key == "words"):
                yield from _sentences(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for item in node:
            yield from _sentences(item, path)
    elif isinstance(node, str):
        yield path, node


@pytest.mark.parametrize("lang", prompts.LANGUAGES)
def test_every_promise_has_its_mechanism(lang: str) -> None:
    found = {key for key, text in _sentences(prompts.catalogue(lang))
             if re.search(PROMISE[lang], text, re.IGNORECASE)}
    assert found - set(KEPT) == set(), "a promise with no mechanism behind it"
    for key in found:
        module, name = KEPT[key].split("::")
        assert callable(getattr(importlib.import_module(module), name, None)), KEPT[key]


def test_every_listed_promise_is_still_made() -> None:
    """The list stays honest: a prompt that no longer promises anything leaves it."""
    found = {key for lang in prompts.LANGUAGES for key, text in _sentences(prompts.catalogue(lang))
             if re.search(PROMISE[lang], text, re.IGNORECASE)}
    assert set(KEPT) - found == set()


def test_the_promise_words_are_found() -> None:
    """The patterns are not blind: each language's "we will call you" is caught."""
    for lang in prompts.LANGUAGES:
        said = prompts.text(lang, "register.next_phone", code="1 2 3")
        assert re.search(PROMISE[lang], said, re.IGNORECASE), said


def test_a_call_back_request_reaches_staff(phone: Phone, db: DbSession, client: FlaskClient,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """0 outside office hours: "shall we call you?" — nothing is stored until the caller says
    yes (1); then "we will call you tomorrow", and staff see the request with the person's
    number among the calls to make, and mark it called back."""
    from tests import factories as f

    f.caller(db, "+358912345678", language="fi", name="Aino")
    db.commit()
    monday_19 = datetime(2026, 11, 30, 17, 0)  # 19:00 in Helsinki: closed
    monkeypatch.setattr("voice.calls.utcnow", lambda: monday_19)
    phone.call()
    t = phone.press("0")
    assert "Soitammeko sinulle?" in t.text and "paina yksi" in t.text
    assert db.scalars(select(CallbackRequest)).all() == []
    db.rollback()
    t = phone.press("1")
    assert "Soitamme sinulle huomenna" in t.text  # Tuesday 9-15
    request = db.scalars(select(CallbackRequest)).one()
    staff(db)
    db.commit()
    login(client, "staff@example.test")
    page = client.get("/admin/calls").get_data(as_text=True)
    assert f'id="callback-{request.id}"' in page and "09 12345678" in page and "Aino" in page
    resp = post(client, f"/admin/callbacks/{request.id}/done", {}, page="/admin/calls")
    assert resp.status_code == 302
    db.expire_all()
    assert db.get_one(CallbackRequest, request.id).done_at is not None
    assert f'id="callback-{request.id}"' not in client.get("/admin/calls").get_data(as_text=True)
