"""Linked Events import from real Helsinki responses, served by a local HTTP server: paging,
places, prices, speakable texts, cancelled / postponed / date-only / recurring events, updates
that keep registrations, idempotence, and failures that keep nothing."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from catalogue import registration
from catalogue.db import get_engine, get_sessionmaker
from catalogue.importers import runner
from catalogue.importers.records import ImportFailed
from catalogue.importers.text import speakable
from catalogue.models import (City, Event, ImportSource, Provider, Registration, Session,
                              SessionStatus, SourceKind)
from catalogue.programme import item_of, sessions_between
from catalogue.timeutil import to_local, utcnow
from ivr_flows.programme import item_segments
from tests import factories
from tests.linkedevents_support import Site, event, real_events, serve

START = date.today()
END = START + timedelta(days=28)


def soon(days: int, hour: int = 12) -> datetime:
    base = datetime.combine(START + timedelta(days=days), datetime.min.time())
    return base.replace(hour=hour)


def fresh(db: DbSession) -> None:
    """See what the import committed: end the read transaction (SQLite's snapshot) and forget
    the loaded rows."""
    db.rollback()
    db.expire_all()


@pytest.fixture
def site() -> Iterator[Site]:
    with serve() as s:
        yield s


def source(db: DbSession, site: Site, auto: bool = True) -> int:
    src = ImportSource(name="helsinki", kind=SourceKind.LINKED_EVENTS, url=f"{site.base}/v1/",
                       city_id=factories.city(db, "helsinki").id, auto_approve=auto)
    db.add(src)
    db.commit()
    return src.id


def run(app: Flask, source_id: int) -> runner.upsert.Outcome:
    return runner.run(get_sessionmaker(app), source_id, start=START, end=END)


def writes(app: Flask) -> tuple[list[str], Callable[..., None]]:
    """The INSERT/UPDATE/DELETE statements the app's engine runs from now on."""
    seen: list[str] = []

    def listen(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            seen.append(statement)

    sa_event.listen(get_engine(app), "before_cursor_execute", listen)
    return seen, listen


def test_pages_are_followed_and_real_events_become_events(app: Flask, db: DbSession, site: Site) -> None:
    real = real_events()
    site.set_pages([[real[0], real[1]], [event(1, soon(2)), event(2, soon(3))], [event(3, soon(4))]])
    sid = source(db, site, auto=False)
    outcome = run(app, sid)
    assert [r.split("page=")[1][:1] for r in site.requests[1:]] == ["2", "3"]
    first = site.requests[0]
    for part in ("keyword=yso%3Ap2433", f"start={START}", f"end={END}", "include=location",
                 "sort=start_time", "page_size=100"):
        assert part in first
    # The real postponed event has no date at all: nothing to offer callers yet.
    assert outcome.created == 4 and outcome.skipped == ["helsinki:afxp6tv4xa: no scheduled date"]
    fresh(db)
    events = db.scalars(select(Event).order_by(Event.source_key)).all()
    assert all(e.code.isdigit() and 3 <= len(e.code) <= 4 and e.code[0] != "0" for e in events)
    assert len({e.code for e in events}) == 4
    online = next(e for e in events if e.source_key == "helsinki:afy6ikna3u")
    assert online.title_fi == "Uutta Koillis-Helsinkiä verkkotilaisuus"
    assert online.short_fi.startswith("Tule kuulemaan ja keskustelemaan")
    assert "<" not in online.description_fi and "hel.fi" not in online.description_fi
    assert online.price_text_fi == "Vapaa pääsy" and online.price_text_en == "Free admission"
    assert online.sessions[0].starts_at == datetime(2020, 6, 1, 13, 45)  # UTC as given
    one = next(e for e in events if e.source_key == "helsinki:test1")
    assert (one.venue, one.address) == ("Jätkäsaaren kirjasto", "Tyynenmerenkatu 1")
    assert one.city is not None and one.city.slug == "helsinki"
    assert one.price_text_fi == "5-15€" and one.short_sv.startswith("Bildkonstnären Raija Malka")
    assert db.scalar(select(Provider.name).where(Provider.id == one.provider_id)) == "Amos Rex"
    assert one.review == "pending" and one.imported
    # Waiting for approval: not on the phone.
    assert sessions_between(db, utcnow(), utcnow() + timedelta(days=30), all_cities=True) == []


def test_a_second_run_writes_nothing_and_an_update_keeps_registrations(
        app: Flask, db: DbSession, site: Site) -> None:
    site.set_pages([[event(1, soon(2)), event(2, soon(3))]])
    sid = source(db, site)
    run(app, sid)
    seen, listener = writes(app)
    again = run(app, sid)
    sa_event.remove(get_engine(app), "before_cursor_execute", listener)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    # Only the source's own note of the run (last_run_at, last_result) is written.
    assert [s.split()[1] for s in seen] == ["import_source"]

    session = db.scalar(select(Session).join(Event).where(Event.source_key == "helsinki:test1"))
    assert session is not None
    person = factories.caller(db)
    db.commit()
    reg = factories.registered(registration.register(db, session.id, person, now=utcnow()))
    code = session.event.code
    site.set_pages([[event(1, soon(2, hour=15), name="Uusi nimi"), event(2, soon(3))]])
    changed = run(app, sid)
    assert (changed.updated, changed.unchanged) == (1, 1)
    fresh(db)
    ev = db.scalar(select(Event).where(Event.source_key == "helsinki:test1"))
    assert ev is not None and ev.title_fi == "Uusi nimi" and ev.code == code
    moved = db.get(Registration, reg.id)
    assert moved is not None and moved.notify_pending == "moved"
    assert moved.session.starts_at == soon(2, hour=15) and moved.session.source_key == "helsinki:test1"
    assert db.scalar(select(func.count()).select_from(Event)) == 2
    # The import's change is in the log, by the service, with the field before and after.
    from catalogue.models import AuditEntry
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "event.import",
                                               AuditEntry.object_id == ev.id))
    assert entry is not None and entry.channel == "system"
    assert entry.after.get("title_fi") == "Uusi nimi" and entry.before.get("title_fi") != "Uusi nimi"


def test_a_cancelled_or_postponed_event_cancels_its_session_and_tells_the_registered(
        app: Flask, db: DbSession, site: Site) -> None:
    site.set_pages([[event(1, soon(2)), event(2, soon(3)), event(3, soon(5), status="EventCancelled")]])
    sid = source(db, site)
    first = run(app, sid)
    assert first.created == 2  # a new event that is already cancelled is not brought in
    people = [factories.caller(db, f"+35891234560{i}") for i in range(2)]
    db.commit()
    sessions = {s.event.source_key: s for s in db.scalars(select(Session))}
    regs = [factories.registered(registration.register(db, sessions[f"helsinki:test{i + 1}"].id,
                                                       p, now=utcnow())) for i, p in enumerate(people)]
    site.set_pages([[event(1, soon(2), status="EventCancelled"),
                     event(2, None, status="EventPostponed")]])
    outcome = run(app, sid)
    assert outcome.cancelled == 2
    fresh(db)
    one, two = (db.get(Session, sessions[f"helsinki:test{i}"].id) for i in (1, 2))
    assert one is not None and two is not None
    assert one.status == two.status == SessionStatus.CANCELLED
    assert (one.postponed, two.postponed) == (False, True)
    assert [db.get(Registration, r.id).notify_pending for r in regs] == ["cancelled", "cancelled"]  # type: ignore[union-attr]
    spoken = " ".join(s.text for s in item_segments(item_of(two), "fi", utcnow()))
    assert "siirretty myöhemmäksi" in spoken
    spoken_en = " ".join(s.text for s in item_segments(item_of(one), "en", utcnow()))
    assert "cancelled" in spoken_en


def test_date_only_and_recurring_events(app: Flask, db: DbSession, site: Site) -> None:
    super_event = event(10, soon(2), super_event_type="recurring", name="Tuolijumppa",
                        sub_events=[{"@id": f"https://api.hel.fi/linkedevents/v1/event/helsinki:test{n}/"}
                                    for n in (11, 12, 13)])
    subs = [event(n, soon(2 + 7 * k, hour=9), hours=1, name="Tuolijumppa, osa",
                  super_event={"@id": "https://api.hel.fi/linkedevents/v1/event/helsinki:test10/"})
            for k, n in enumerate((11, 12, 13))]
    day = event(20, START + timedelta(days=4), name="Kirjaston päivä")
    site.set_pages([[super_event, subs[0]], [subs[1], subs[2], day]])
    run(app, source(db, site))
    events = {e.source_key or "": e for e in db.scalars(select(Event))}
    assert sorted(events) == ["helsinki:test10", "helsinki:test20"]
    gym = events["helsinki:test10"]
    assert gym.title_fi == "Tuolijumppa"
    assert [s.source_key for s in gym.sessions] == ["helsinki:test11", "helsinki:test12", "helsinki:test13"]
    assert all(s.length_minutes == 60 for s in gym.sessions)
    whole = events["helsinki:test20"].sessions[0]
    assert whole.all_day and to_local(whole.starts_at).hour == 0
    assert whole.ends_at - whole.starts_at == timedelta(days=1)
    spoken = " ".join(s.text for s in item_segments(item_of(whole), "fi", utcnow() - timedelta(days=1)))
    assert "koko päivän" in spoken and "kello" not in spoken and "Kesto" not in spoken


@pytest.mark.parametrize("bad", ["malformed", "server error", "not json"])
def test_a_failing_page_is_named_and_nothing_is_kept(app: Flask, db: DbSession, site: Site, bad: str) -> None:
    site.set_pages([[event(1, soon(2))], [event(2, soon(3))], [event(3, soon(4))]])
    site.pages[3] = {"malformed": (200, b'{"meta": {"next": null}, "data": [{"name": "no id"}]}', "application/json"),
                     "server error": (500, b"Internal Server Error", "text/html"),
                     "not json": (200, b"<html>maintenance", "text/html")}[bad]
    sid = source(db, site)
    with pytest.raises(ImportFailed) as failed:
        run(app, sid)
    assert "page=3" in failed.value.where
    assert {"malformed": "not a Linked Events page", "server error": "HTTP 500",
            "not json": "not JSON"}[bad] in failed.value.reason
    fresh(db)
    assert db.scalar(select(func.count()).select_from(Event)) == 0
    assert db.scalar(select(func.count()).select_from(Provider)) == 0
    note = db.get(ImportSource, sid)
    assert note is not None and "failed" in note.last_result and "page=3" in note.last_result


def test_an_unreachable_server_is_a_network_error(app: Flask, db: DbSession) -> None:
    with serve() as gone:
        url = gone.base
    src = ImportSource(name="gone", kind=SourceKind.LINKED_EVENTS, url=f"{url}/v1/",
                       city_id=factories.city(db).id)
    db.add(src)
    db.commit()
    with pytest.raises(ImportFailed, match="network error"):
        run(app, src.id)


def test_forks_extra_and_odd_fields_are_tolerated(app: Flask, db: DbSession, site: Site) -> None:
    odd = event(1, soon(2), name="Turun konsertti")
    odd.update({"name": "Turun konsertti", "x_turku_extra": {"a": [1, 2]}, "offers": None,
                "short_description": None, "provider": "Turun kaupunki"})
    odd["location"] = {"id": "turku:1", "name": {"fi": "Sigyn-sali"},
                       "address_locality": {"fi": "Turku", "sv": "Åbo"}}
    site.set_pages([[odd]])
    run(app, source(db, site))
    ev = db.scalar(select(Event))
    assert ev is not None and ev.title_fi == "Turun konsertti" and ev.venue == "Sigyn-sali"
    assert db.get(City, ev.city_id).slug == "turku"  # type: ignore[union-attr]
    assert ev.short_fi.startswith("Kuvataiteilija")  # the long description's opening, spoken
    assert ev.price_text_fi == ""


def test_html_becomes_speakable_sentences() -> None:
    html = ("<p>Tervetuloa&nbsp;konserttiin!<br>Liput: https://liput.example.fi/x tai "
            "www.example.fi</p><ul><li>Kahvia</li><li>Pullaa &amp; mehua</li></ul>"
            "<script>alert(1)</script>")
    assert speakable(html) == "Tervetuloa konserttiin! Liput: tai. Kahvia. Pullaa & mehua."
    long = " ".join(f"Lause numero {n}." for n in range(100))
    cut = speakable(long, 60)
    assert len(cut) <= 60 and cut.endswith(".")


def test_the_cli_imports_from_a_url(app: Flask, db: DbSession, site: Site) -> None:
    site.set_pages([[event(1, soon(2))], [event(2, soon(3))]])
    result = app.test_cli_runner().invoke(args=[
        "import", "linkedevents", "--url", f"{site.base}/v1/", "--city", "helsinki",
        "--start", START.isoformat(), "--end", END.isoformat()])
    assert result.exit_code == 0, result.output
    assert "2 new, 0 updated" in result.output and "read 2 events of 2" in result.output
    site.pages[2] = (502, b"bad gateway", "text/plain")
    result = app.test_cli_runner().invoke(args=[
        "import", "linkedevents", "--url", f"{site.base}/v1/",
        "--start", START.isoformat(), "--end", END.isoformat()])
    assert result.exit_code == 1 and "nothing kept" in result.output and "page=2" in result.output


def test_an_event_waiting_for_approval_has_no_code_on_the_phone(app: Flask, db: DbSession, site: Site) -> None:
    from catalogue import schedule
    from catalogue.programme import event_by_code

    site.set_pages([[event(1, soon(2))]])
    run(app, source(db, site, auto=False))
    ev = db.scalar(select(Event))
    assert ev is not None and ev.review == "pending"
    assert event_by_code(db, ev.code) is None
    schedule.review_event(db, ev, approved=True)
    db.commit()
    assert event_by_code(db, ev.code) is not None
    assert len(sessions_between(db, utcnow(), utcnow() + timedelta(days=30), all_cities=True)) == 1
