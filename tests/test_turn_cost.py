"""What makes a turn cheap, checked as behaviour: a programme walk reads and writes nothing but
the change counter, its state travels in the signed URL (never a phone number), the programme and
the audio map are held in memory, and after rendering every sentence of the walks plays audio."""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session as DbSession

from catalogue.models import Caller, CallLog, MenuVisit, SessionKind
from catalogue.timeutil import utcnow
from tests import factories as f
from tests.phone import MakePhone, Phone


@contextmanager
def _listening(app: Flask, name: str, listener: Any) -> Iterator[None]:
    engine = app.extensions["lampio_engine"]
    event.listen(engine, name, listener)
    try:
        yield
    finally:
        event.remove(engine, name, listener)


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.strip().split()[0].upper() + " " + " ".join(statement.split()[1:8]))

    with _listening(app, "before_cursor_execute", note):
        yield seen


@contextmanager
def commits(app: Flask) -> Iterator[list[int]]:
    """The transactions committed on the app's engine meanwhile."""
    done: list[int] = []
    with _listening(app, "commit", lambda _conn: done.append(1)):
        yield done


@pytest.fixture
def programme(db: DbSession) -> None:
    for i, title in enumerate(("Runotuokio", "Konsertti", "Museokierros")):
        ev = f.event(db, title=title, code=f"9{i}1")
        f.session(db, ev, starts_in=timedelta(days=i + 1))
    rec = f.event(db, title="Tallenne", code="941")
    f.session(db, rec, starts_in=timedelta(hours=-1), minutes=60 * 24 * 5, kind=SessionKind.RECORDING)
    f.caller(db, "+358912345678", language="fi")
    db.commit()


def state_of(phone: Phone) -> str:
    assert phone.next_action
    return parse_qs(urlsplit(phone.next_action).query).get("s", [""])[0]


def test_a_programme_walk_writes_nothing_and_reads_only_the_change_counter(
        app: Flask, db: DbSession, phone: Phone, programme: None) -> None:
    app.extensions["lampio_visits"].flush_every = 3600.0  # as in production: batched
    phone.call()
    with statements(app) as seen:
        for key in ("1", "3", "3", "1", "4"):
            t = phone.press(key)
            assert t.gather is not None and state_of(phone) not in ("", "db")
    assert not {"INSERT", "UPDATE", "DELETE"} & set(seen), seen
    # Besides the change counter (tests recheck it at once; production once a second), the
    # walk reads the week once: its sessions, which recordings have approved audio, which rooms
    # have ended, which events have an approved audio description ("1 more" reads nothing).
    other = [s for s in seen if not s.startswith(("BEGIN", "SELECT catalogue_change"))]
    assert [s.split(".")[0] for s in other] == [
        "SELECT session", "SELECT session_audio", "SELECT live_room",
        "SELECT DISTINCT audio_description"], other
    assert app.extensions["lampio_programme"].loads == 1
    phone.hang_up()
    app.extensions["lampio_visits"].flush()  # the batch: the visits noted meanwhile
    nodes = set(db.scalars(select(MenuVisit.node)))
    assert {"programme", "item", "main_menu"} <= nodes


def test_a_changed_programme_is_heard_at_once(app: Flask, db: DbSession, phone: Phone,
                                              programme: None) -> None:
    phone.call()
    t = phone.press("1")
    assert "kolme tapahtumaa" in t.text and "Runotuokio" in t.text
    ev = f.event(db, title="Uusi tapahtuma", code="951")
    f.session(db, ev, starts_in=timedelta(hours=2))
    db.commit()  # another session, as the admin's would be
    phone.hang_up()
    again = Phone(app.test_client(), "test-auth-token-0123456789abcdef",
                  "https://phone.example.test", from_number="+358912345678")
    again.call()
    t = again.press("1")
    assert "neljä tapahtumaa" in t.text and "Uusi tapahtuma" in t.text


def test_a_typed_phone_number_never_travels_in_a_url(app: Flask, db: DbSession, phone: Phone,
                                                     programme: None) -> None:
    phone.call()
    phone.press("1")  # a phone event
    phone.press("2")  # register
    t = phone.press("3")  # someone else: type their number
    t = phone.press("0401234567#")
    assert "0401234567" not in t.body and "358401234567" not in t.body
    assert state_of(phone) == "db"  # kept on the server while it holds the number
    call = db.scalar(select(CallLog).where(CallLog.call_sid == phone.call_sid))
    assert call is not None and "+358401234567" in str(call.state)


def test_after_render_every_sentence_of_the_walks_plays_audio(
        app: Flask, db: DbSession, make_phone: Any, programme: None, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_audio_render import CountingEngine

    svc = app.extensions["lampio_audio"]
    svc.chain.engines = [CountingEngine(tmp_path)]
    monkeypatch.setattr("audio.storage.to_served",
                        lambda src, dest, filters=None: shutil.copyfile(src, dest))
    result = app.test_cli_runner().invoke(args=["audio", "render", "--no-progress"])
    assert result.exit_code == 0, result.output
    for n, lang_key in enumerate(("1", "2", "3")):
        phone = make_phone(from_number=f"+35840555000{n}")
        turns = [phone.call(), phone.press(lang_key)]
        for key in ("1", "3", "3", "1", "4", "2", "1"):  # walk, more, back, register, confirm
            turns.append(phone.press(key))
        for t in turns:
            assert t.root is not None
            says = [el for el in t.root.iter("Say")]
            assert not says, [el.findtext("prosody") for el in says]
            assert t.root.find(".//Play") is not None


def test_the_read_back_reads_the_session_its_row_and_the_queue_in_one_statement(
        app: Flask, db: DbSession, phone: Phone, programme: None) -> None:
    """The read-back before a confirm: one SELECT (``registration_rules.preview``) for the
    session, the caller's own row in it and the waiting list, where it was up to three (each a
    round trip on PostgreSQL); no write."""
    app.extensions["lampio_visits"].flush_every = 3600.0  # as in production: batched
    phone.call()
    t = phone.press("1")
    if "paina neljä" in t.text and "Jos haluat kuulla kaikki" in t.text:
        phone.press("1")  # the group of phone events
    modes: list[str | None] = []

    def mode(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().startswith("SELECT session.id"):
            modes.append(conn.get_execution_options().get("isolation_level"))

    app.extensions["lampio_programme"].recheck = 3600.0  # as in production: no read per turn
    with statements(app) as seen, _listening(app, "before_cursor_execute", mode):
        said = phone.press("2").text
    assert "Jos haluat vahvistaa ilmoittautumisen" in said
    reads = [s for s in seen if not s.startswith(("BEGIN", "SELECT catalogue_change"))]
    assert len(reads) == 1 and reads[0].startswith("SELECT session.id"), seen
    # On PostgreSQL it commits by itself, with no BEGIN or COMMIT round trip around it.
    postgres = db.get_bind().dialect.name == "postgresql"
    assert modes == ["AUTOCOMMIT" if postgres else None], modes


def test_a_registration_confirm_writes_once_and_reads_nothing_after_its_commit(
        app: Flask, db: DbSession, phone: Phone, programme: None) -> None:
    """The place first, then the row with its final status (no INSERT then UPDATE), and what
    is said next from the programme in memory: no event or provider read after the commit."""
    app.extensions["lampio_visits"].flush_every = 3600.0  # as in production: batched
    phone.call()
    t = phone.press("1")
    if "paina neljä" in t.text and "Jos haluat kuulla kaikki" in t.text:
        t = phone.press("1")  # the group of phone events
    assert "Jos haluat vahvistaa ilmoittautumisen" in phone.press("2").text
    with statements(app) as seen:
        engine = app.extensions["lampio_engine"]
        mark = lambda _conn: seen.append("COMMIT")  # noqa: E731 - in the order of the statements
        event.listen(engine, "commit", mark)
        try:
            done = phone.press("1")
        finally:
            event.remove(engine, "commit", mark)
    # One write transaction, committed by the service before anything is said: on SQLite it
    # begins IMMEDIATE for the unit only, not for the whole turn (the answer is rendered
    # outside the lock); before it (the turn's key, voice.turn_memo) and after its commit only
    # the change counter is read (a read-only transaction of its own: tests recheck it on every
    # read, production once a second).
    while seen and seen[0] in ("BEGIN DEFERRED", "BEGIN", "COMMIT") or (
            seen and seen[0].startswith("SELECT catalogue_change")):
        seen.pop(0)
    assert seen.count("BEGIN IMMEDIATE") <= 1, seen
    first = seen.index("COMMIT")
    assert not [s for s in seen[first:] if s.startswith(("INSERT", "UPDATE", "DELETE"))], seen
    assert [s for s in seen[first + 1:] if s not in ("COMMIT", "BEGIN DEFERRED", "BEGIN")
            and not s.startswith("SELECT catalogue_change")] == [], seen
    if app.extensions["lampio_engine"].dialect.name == "sqlite":
        assert seen[0] == "BEGIN IMMEDIATE" and seen[1].startswith("SELECT session."), seen
    assert "Olet ilmoittautunut" in done.text or "Kiitos" in done.text, done.text
    assert not [s for s in seen if "SAVEPOINT" in s], seen  # the insert does nothing on a clash
    if app.extensions["lampio_engine"].dialect.name == "postgresql":
        # The lock, the place, the row and its log entry in one statement that commits itself
        # (registration_sql.place_and_add, registration_once).
        writes = [s for s in seen if s.startswith(("INSERT", "UPDATE", "DELETE", "WITH"))]
        assert [w.split()[:5] for w in writes] == [
            ["WITH", "locked", "AS", "(SELECT", "session.id"]], writes
        written = next(i for i, s in enumerate(seen) if s.startswith("WITH locked"))
    else:
        writes = [s for s in seen if s.startswith(("INSERT", "UPDATE", "DELETE"))]
        assert [w.split()[0] + " " + w.split()[1 if w.startswith("UPDATE") else 2]
                for w in writes] == ["UPDATE session", "INSERT registration",
                                     "INSERT audit_entry"], writes  # + its log entry
        written = next(i for i, s in enumerate(seen) if s.startswith("INSERT INTO registration"))
    after = seen[written:]
    # (the change counter aside: tests recheck it on every read, production once a second)
    assert not [s for s in after if s.startswith("SELECT")
                and not s.startswith("SELECT catalogue_change")], after


def test_a_hang_up_writes_nothing_and_its_end_goes_with_the_next_batch(
        app: Flask, db: DbSession, make_phone: MakePhone, programme: None) -> None:
    """The status callback only notes the call's end; the batch then ends every call that
    ended meanwhile and writes their visits, in one write transaction on either database."""
    buffer = app.extensions["lampio_visits"]
    buffer.flush_every = 3600.0
    phones = [make_phone(f"+35840111{n:04d}") for n in range(3)]
    for p in phones:
        p.call()
        p.press("1")
    with statements(app) as seen:
        for p in phones:
            assert p.hang_up().status == 204
    assert seen == [], seen
    # Nor did their first webhooks: each call's person and record wait in the batch too.
    assert db.scalars(select(CallLog)).all() == []
    db.rollback()  # end this session's read (its snapshot) before the batch writes
    with statements(app) as seen, commits(app) as committed:
        buffer.flush()
    assert len(committed) == 1, seen
    assert any(s.startswith("INSERT INTO menu_visit") for s in seen), seen
    for table in ("caller", "call_log"):  # one executemany each
        assert len([s for s in seen if s.startswith(f"INSERT INTO {table} ")]) == 1, seen
    assert len([s for s in seen if s.startswith("UPDATE call_log")]) == 1, seen  # executemany
    db.expire_all()
    ended = db.scalars(select(CallLog)).all()
    assert {(c.status, c.duration_seconds) for c in ended} == {("completed", 30)}
    assert all(c.ended_at is not None for c in ended)


def test_a_hang_up_finding_the_batch_due_writes_it(
        app: Flask, db: DbSession, phone: Phone, programme: None) -> None:
    buffer = app.extensions["lampio_visits"]
    buffer.flush_every = 3600.0
    phone.call()
    phone.press("1")
    buffer.flush_every = 0.0  # the batch's time has come
    with commits(app) as committed:
        phone.hang_up()
    assert len(committed) == 1
    db.expire_all()
    call = db.scalars(select(CallLog)).one()
    assert call.ended_at is not None and call.status == "completed"
    assert not any(buffer.take())


def test_a_first_call_chooses_its_language_without_a_write_and_the_next_call_knows_it(
        app: Flask, db: DbSession, make_phone: MakePhone, programme: None) -> None:
    """The choice travels in the URL at once and is kept on the caller with the visits: in the
    status callback's one transaction at the hang-up (or the buffer's next batch)."""
    app.extensions["lampio_visits"].flush_every = 3600.0
    first = make_phone("+358401112233")
    t = first.call()
    assert "Valitse kieli" in t.text or "Svenska" in t.text or "English" in t.text, t.text
    with statements(app) as seen:
        t = first.press("2")  # svenska
    assert t.gather is not None and "huvudmeny" in t.text.lower(), t.text
    assert not [s for s in seen if s.startswith(("BEGIN IMMEDIATE", "INSERT", "UPDATE"))], seen
    # Not yet: the new person's row waits in the batch with the language.
    assert db.scalar(select(Caller).where(Caller.phone == "+358401112233")) is None
    db.rollback()  # end this session's read (its snapshot) before the batch writes
    first.hang_up()
    with statements(app) as seen, commits(app) as committed:
        app.extensions["lampio_visits"].flush()
    assert len(committed) == 1 and any(s.startswith("UPDATE caller") for s in seen), seen
    caller = db.scalar(select(Caller).where(Caller.phone == "+358401112233"))
    assert caller is not None and caller.language == "sv"
    again = make_phone("+358401112233").call()  # straight to the greeting, in Swedish
    assert "huvudmeny" in again.text.lower() or "välkommen" in again.text.lower(), again.text


def test_a_language_waiting_in_the_buffer_is_written_by_its_batch(
        app: Flask, db: DbSession, make_phone: MakePhone, programme: None) -> None:
    buffer = app.extensions["lampio_visits"]
    buffer.flush_every = 3600.0
    p = make_phone("+358401112244")
    p.call()
    p.press("3")  # English
    buffer.flush()  # the periodic batch, as when the hang-up reaches another worker
    db.expire_all()
    caller = db.scalar(select(Caller).where(Caller.phone == "+358401112244"))
    assert caller is not None and caller.language == "en"


def test_the_hang_up_ends_the_record_and_keeps_only_the_language_of_a_stored_state(
        app: Flask, db: DbSession, make_phone: MakePhone, programme: None) -> None:
    """One UPDATE ends the record; a state kept in it (here a typed number) is cut down to its
    language, so the number is not kept past the call. A record that held none keeps none."""
    stored, plain = make_phone("+358912345678"), make_phone("+358401112255")
    stored.call()
    plain.call()
    call = db.scalar(select(CallLog).where(CallLog.call_sid == stored.call_sid))
    assert call is not None
    call.state = {"lang": "sv", "node": "someone_else", "data": {"number": "+358401234567"}}
    db.commit()
    stored.hang_up(duration=42)
    plain.hang_up(duration=7)
    db.expire_all()
    ended = db.get_one(CallLog, call.id)
    assert (ended.status, ended.duration_seconds, ended.state) == ("completed", 42, {"lang": "sv"})
    assert ended.ended_at is not None
    other = db.scalar(select(CallLog).where(CallLog.call_sid == plain.call_sid))
    assert other is not None and (other.state, other.duration_seconds) == ({}, 7)
    assert other.ended_at is not None


def test_a_turn_notes_its_visits_only_after_its_commit(
        app: Flask, db: DbSession, phone: Phone, programme: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Another request's transaction (a hang-up writes the batch) must never insert visits of a
    call whose record is not committed: a turn whose commit fails leaves none in the buffer."""
    import voice.views

    buffer = app.extensions["lampio_visits"]
    buffer.flush_every = 3600.0
    phone.call()
    buffer.take()

    def failing(_db: DbSession) -> None:
        raise RuntimeError("the commit failed")

    monkeypatch.setattr(voice.views, "commit_pending", failing)
    t = phone.press("1")
    assert t.gather is not None and "/voice/fallback" in t.body  # the apology, with a way on
    assert buffer.take()[0] == []


def test_a_hang_up_whose_batch_cannot_be_written_still_ends_the_call(
        app: Flask, db: DbSession, phone: Phone, programme: None) -> None:
    buffer = app.extensions["lampio_visits"]
    buffer.flush_every = 3600.0
    phone.call()
    buffer.take()
    buffer.add(999_999, [("main_menu", utcnow())])  # no such call: the foreign key refuses it
    t = phone.hang_up()
    assert t.status == 204
    buffer.flush()
    db.expire_all()
    ended = db.scalar(select(CallLog).where(CallLog.call_sid == phone.call_sid))
    assert ended is not None and ended.ended_at is not None and ended.status == "completed"
    kept = buffer.take()[0]
    assert [row["call_id"] for row in kept] == [999_999]  # kept for the next try, not lost


def test_a_language_of_a_caller_removed_meanwhile_does_not_stop_the_batch(
        app: Flask, db: DbSession, phone: Phone, programme: None) -> None:
    buffer = app.extensions["lampio_visits"]
    buffer.flush_every = 3600.0
    phone.call()
    buffer.add_language(999_999, "sv")  # purged between the choice and the batch
    phone.hang_up()
    buffer.flush()
    db.expire_all()
    assert (db.scalar(select(func.count()).select_from(MenuVisit)) or 0) > 0
    assert not any(buffer.take())


def test_a_batch_that_keeps_failing_is_dropped_and_the_next_one_is_written(
        app: Flask, db: DbSession, make_phone: MakePhone, programme: None) -> None:
    from voice.visits import MAX_TRIES

    buffer = app.extensions["lampio_visits"]
    buffer.flush_every = 3600.0
    buffer.add(999_999, [("main_menu", utcnow())])  # no such call: refused on every try
    for _ in range(MAX_TRIES):
        buffer.flush()
    assert not any(buffer.take())  # dropped (logged), not kept for ever
    p = make_phone("+358401112266")
    p.call()
    p.press("1")
    p.hang_up()
    buffer.flush()
    db.expire_all()
    call = db.scalar(select(CallLog).where(CallLog.call_sid == p.call_sid))
    assert call is not None
    assert (db.scalar(select(func.count()).select_from(MenuVisit)
                      .where(MenuVisit.call_id == call.id)) or 0) > 0
