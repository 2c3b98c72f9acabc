"""A reading turn's answer kept for the next caller at the same place (voice/turn_memo.py): the
same TwiML with the caller's own ``w=``, visits under the caller's own call, and never an answer
older than the programme, the prompt audio, the minute or the caller."""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from sqlalchemy import select

from app import SettingError, create_app
from catalogue.db import get_sessionmaker
from catalogue.demo import load_demo
from catalogue.models import CallLog, Caller, Event, MenuVisit, Registration
from catalogue.timeutil import epoch, utcnow
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL, _empty_tables, base_config
from tests.phone import Phone
from voice import turn_memo
from voice.simulator import SimulatedCall, Turn

WALK = ("1", "1", "4", "3", "3")  # Finnish, the programme, everything, next, next


@pytest.fixture
def memo_app(_schema: tuple[str, Path], tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The service as it runs: the programme's change counter read once a minute, so only the
    after-commit signal tells this process of a change. The turns' clock stands still (a kept
    answer is for its minute: a walk that crossed into the next would find none), and answers
    are kept a minute (a test's walks on a slow, busy machine once took over the default 10 s)."""
    url, _ = _schema
    app = create_app({**base_config(url, tmp_path), "PROGRAMME_RECHECK_SECONDS": 60,
                      "TURN_MEMO_SECONDS": 60})
    now = utcnow()
    with get_sessionmaker(app)() as db:
        _empty_tables(db)
        load_demo(db, now)
        db.commit()
    monkeypatch.setattr("voice.calls.utcnow", lambda: now)
    yield app
    app.extensions["lampio_engine"].dispose()


def _phone(app: Flask, number: str) -> Phone:
    return Phone(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL, from_number=number)


def _walk(phone: SimulatedCall, keys: tuple[str, ...] = WALK) -> list[Turn]:
    turns = [phone.call()]
    for key in keys:
        turns.append(phone.press(key))
    return turns


def _who(turn: Turn) -> str:
    assert turn.gather is not None
    return parse_qs(urlsplit(turn.gather.get("action") or "").query)["w"][0]


def _memo(app: Flask) -> turn_memo.TurnMemo:
    memo = turn_memo.of(app)
    assert memo is not None
    return memo


def test_the_next_caller_hears_the_same_answer_in_its_own_call(memo_app: Flask) -> None:
    memo = _memo(memo_app)
    phones = [_phone(memo_app, "+358401000001"), _phone(memo_app, "+358401000002")]
    first = _walk(phones[0])
    hits = memo.hits
    second = _walk(phones[1])
    assert memo.hits - hits >= 3  # the programme's turns came from the first caller's
    for one, two in zip(first[2:], second[2:]):
        assert _who(one) != _who(two)
        assert two.body.replace(_who(two), "W") == one.body.replace(_who(one), "W")
    with get_sessionmaker(memo_app)() as db:
        memo_app.extensions["lampio_visits"].flush()
        calls = db.scalars(select(CallLog).order_by(CallLog.id)).all()
        # Each call's own record, made by the batch: its URLs carry its start, not its id.
        assert [c.call_sid for c in calls] == [p.call_sid for p in phones]
        assert [_who(t).split(".")[0] for t in (first[-1], second[-1])] == \
            [f"t{epoch(c.started_at)}" for c in calls]
        visits = {c.id: [v.node for v in db.scalars(select(MenuVisit).where(
            MenuVisit.call_id == c.id).order_by(MenuVisit.id))] for c in calls}
    assert visits[calls[0].id] == visits[calls[1].id] and "item" in visits[calls[1].id]


def _to_registration(phone: Phone) -> tuple[str, ...]:
    """Keys from the call to the first item that offers registration (2)."""
    keys: tuple[str, ...] = ("1", "1", "4")
    turns = _walk(phone, keys)
    while not any("ilmoittautua" in s for s in turns[-1].said):
        assert len(keys) < 20, "no item of the demo week offers registration"
        keys += ("3",)
        turns.append(phone.press("3"))
    return keys


def test_a_kept_answer_walks_on_as_the_callers_own_call(memo_app: Flask) -> None:
    """The state a kept answer carries is the caller's own: * repeats it, and registering from
    it registers this caller, not the one whose turn was kept."""
    keys = _to_registration(_phone(memo_app, "+358401000001"))
    memo = _memo(memo_app)
    hits = memo.hits
    phone = _phone(memo_app, "+358401000002")
    turns = _walk(phone, keys)
    assert memo.hits - hits >= len(keys) - 2
    assert phone.press("*").said[-3:] == turns[-1].said[-3:]
    phone.press("2")
    done = phone.press("1")
    assert done.said and "Päävalikko." not in done.said[0]
    with get_sessionmaker(memo_app)() as db:
        regs = db.scalars(select(Registration)).all()
        assert len(regs) == 1 and regs[0].caller is not None
        assert regs[0].caller.phone == "+358401000002"


def test_a_wrong_key_silence_and_a_hang_up_after_kept_answers(memo_app: Flask) -> None:
    """What goes wrong at a kept place is kept too and said alike (the failure counters travel
    in the state), and a call answered from the memo still ends as a call: its record closed,
    its visits written with the hang-up."""
    memo = _memo(memo_app)
    first = _phone(memo_app, "+358401000001")
    _walk(first)
    wrong, silent = first.press("7"), first.silence()
    hits = memo.hits
    second = _phone(memo_app, "+358401000002")
    _walk(second)
    again_wrong, again_silent = second.press("7"), second.silence()
    assert memo.hits - hits >= 5
    assert again_wrong.said == wrong.said and again_wrong.gather is not None
    assert again_silent.said == silent.said and again_silent.gather is not None
    assert not again_wrong.hangs_up and not again_silent.hangs_up
    second.hang_up()
    with get_sessionmaker(memo_app)() as db:
        call = db.scalars(select(CallLog).order_by(CallLog.id.desc())).first()
        assert call is not None and call.ended_at is not None
        nodes = [v.node for v in db.scalars(select(MenuVisit).where(MenuVisit.call_id == call.id))]
    assert "item" in nodes


def test_a_change_to_the_programme_is_never_answered_from_before(memo_app: Flask) -> None:
    first = _walk(_phone(memo_app, "+358401000001"))
    title = first[-1].said[1]
    with get_sessionmaker(memo_app)() as db:  # staff rename the event (the after-commit signal)
        event = next(e for e in db.scalars(select(Event)) if e.text("title", "fi") in title)
        event.title_fi = "Uusi nimi"
        db.commit()
    second = _walk(_phone(memo_app, "+358401000002"))
    assert any("Uusi nimi" in s for s in second[-1].said)
    assert not any(title == s for s in second[-1].said)


def test_a_caller_of_another_number_never_gets_the_answer(memo_app: Flask) -> None:
    """A ``w=`` whose fingerprint is not this call's and number's: the long way, which starts
    the call anew, as a state in the URL of another call would."""
    _walk(_phone(memo_app, "+358401000001"))
    phone = _phone(memo_app, "+358401000002")
    turns = _walk(phone, WALK[:-1])
    assert turns[-1].gather is not None
    action = turns[-1].gather.get("action") or ""
    forged = _phone(memo_app, "+358401000003")
    forged.call_sid = phone.call_sid
    answer = forged.post(action, {"Digits": "3"})
    real = phone.press("3")  # the next item, kept from the first caller
    assert answer.said != real.said  # the main menu's 3 (no registrations): a new start
    assert _who(answer).split(".")[0] != _who(real).split(".")[0]  # and a record of its own


def test_turns_that_ask_the_database_or_the_caller_are_not_kept(memo_app: Flask) -> None:
    memo = _memo(memo_app)
    with get_sessionmaker(memo_app)() as db:  # a person staff added: no language yet
        db.add(Caller(phone="+358401000009"))
        db.commit()
    phone = _phone(memo_app, "+358401000009")
    phone.call()
    kept = memo.kept
    phone.press("1")  # the language, and then the news waiting for a known person looked up
    assert memo.kept == kept
    phone.press("1")  # the main menu's "1": the programme, no database
    assert memo.kept == kept + 1
    kept = memo.kept
    phone.press("3")  # the next item: no database either, kept
    assert memo.kept == kept + 1


def _language(app: Flask, number: str) -> str | None:
    app.extensions["lampio_visits"].flush()
    with get_sessionmaker(app)() as db:
        return db.scalar(select(Caller.language).where(Caller.phone == number))


def test_a_first_calls_language_choice_is_kept_on_each_callers_own_row(memo_app: Flask) -> None:
    """A first call's choice asks nothing (no news can wait for a row the call made): the
    answer is kept, and each first caller who gets it has the language kept on their own row.
    Known and unknown numbers are kept apart (only a known one has a row to keep it on)."""
    memo = _memo(memo_app)
    turns = []
    for number, key in (("+358401000001", "2"), ("+358401000002", "2"), ("+358401000003", "3")):
        phone = _phone(memo_app, number)
        phone.call()
        hits = memo.hits
        turns.append((phone.press(key), memo.hits - hits))
    assert [hit for _, hit in turns] == [0, 1, 0]  # the second Swedish choice was kept
    assert turns[0][0].said == turns[1][0].said != turns[2][0].said
    assert [_language(memo_app, n) for n in ("+358401000001", "+358401000002",
                                            "+358401000003")] == ["sv", "sv", "en"]
    withheld = _phone(memo_app, "anonymous")
    withheld.call()
    hits = memo.hits
    answer = withheld.press("2")
    assert memo.hits == hits and answer.said == turns[0][0].said  # worked out: another key
    assert _language(memo_app, "anonymous") is None


def test_another_minute_or_new_audio_is_worked_out_again(memo_app: Flask,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    memo = _memo(memo_app)
    _walk(_phone(memo_app, "+358401000001"))
    hits = memo.hits
    later = utcnow() + timedelta(minutes=1)
    monkeypatch.setattr("voice.calls.utcnow", lambda: later)
    _walk(_phone(memo_app, "+358401000002"))
    assert memo.hits == hits
    audio = memo_app.extensions["lampio_audio"]
    audio.cache.memo.put("Uusi lause.", "fi", "0" * 64)  # a sentence's audio appeared
    _walk(_phone(memo_app, "+358401000003"))
    assert memo.hits == hits
    _walk(_phone(memo_app, "+358401000004"))
    assert memo.hits > hits


def test_answers_expire_and_stay_few(memo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    memo = _memo(memo_app)
    memo.size = 3
    _walk(_phone(memo_app, "+358401000001"))
    assert memo.entries() <= 3
    clock = [1e9]
    monkeypatch.setattr("voice.turn_memo.time.monotonic", lambda: clock[0])
    memo.put(("a",), "<Response/>", ())
    assert memo.get(("a",)) is not None
    clock[0] += memo.seconds + 1
    assert memo.get(("a",)) is None
    memo.put(("b",), "<Response/>", ())
    assert memo.entries() == 1  # the expired went with the next one kept


def test_the_settings_turn_it_off_or_stop_the_start(tmp_path: Path, _schema: tuple[str, Path],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    url, _ = _schema
    off = create_app({**base_config(url, tmp_path), "TURN_MEMO_SIZE": 0})
    assert turn_memo.of(off) is None
    off.extensions["lampio_engine"].dispose()
    with pytest.raises(SettingError, match="^TURN_MEMO_SECONDS: "):
        create_app({**base_config(url, tmp_path), "TURN_MEMO_SECONDS": "soon"})


def test_the_marker_is_never_left_in_an_answer(memo_app: Flask) -> None:
    memo = _memo(memo_app)
    for number in ("+358401000001", "+358401000002"):
        for turn in _walk(_phone(memo_app, number)):
            assert memo.marker not in turn.body
            assert not re.search(r"w=[^&\"]*~", turn.body)


def test_flows_ask_who_calls_only_through_the_context() -> None:
    """A flow that read the call's own part of the state directly would make its answer this
    call's own without saying so (``Ctx.personal``): only ``context.py`` reads it."""
    root = Path(__file__).resolve().parent.parent / "ivr_flows"
    pattern = re.compile(r"""state(\.get\(|\[)["'](call_id|caller_id|fp)["']""")
    readers = {p.name for p in root.glob("*.py") if pattern.search(p.read_text())}
    assert readers == {"context.py"}



def test_known_and_unknown_callers_are_kept_apart(memo_app: Flask) -> None:
    """The same place and key, one caller with a row and one without: two keys (an answer may
    depend on ``Ctx.caller_known``, which is not personal)."""
    from flask import Request
    from werkzeug.test import EnvironBuilder

    memo, now = _memo(memo_app), utcnow()
    request = Request(EnvironBuilder(method="POST", data={"Digits": "1"}).get_environ())

    def key(who: str) -> turn_memo.Key | None:
        return memo.key(request, {"s": "token", "w": who}, now, lambda: (1,), "http://x")

    assert key("12.34.abc") == key("13.35.def") != key("12.n.abc") == key("13..def")
