"""The desk's lists (issue 12): the week view day by day with filled places and the waiting
list, search by title, code or organiser, filters by city, provider, kind and status, one filter
form and pager on the long lists, and the attendee list on paper and as a CSV that names the
event and time."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session as DbSession

from admin.i18n import t
from catalogue import registration
from catalogue.models import Session, SessionKind, SessionStatus
from catalogue.timeutil import LOCAL_TZ, to_local, to_utc, utcnow
from tests import factories as f
from tests.admin_support import as_staff  # noqa: F401  (a fixture)
from tests.admin_support import login, provider_user, staff



def next_monday_at(hour: int, days: int = 0) -> datetime:
    today = to_local(utcnow()).date()
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    return to_utc(datetime.combine(monday + timedelta(days=days), time(hour), LOCAL_TZ))


def at(db: DbSession, ev: Any, when: datetime, **kw: Any) -> Session:
    return f.session(db, ev, starts_in=when - utcnow().replace(second=0, microsecond=0), **kw)


def rows(html: str) -> list[str]:
    return re.findall(r'<tr id="session-(\d+)"', html)


@pytest.fixture
def week(db: DbSession) -> dict[str, Any]:
    orchestra = f.provider(db, "Turun filharmoninen orkesteri")
    museum = f.provider(db, "Helsingin kaupunginmuseo")
    concert = f.event(db, title="Kevätkonsertti", prov=orchestra, code="731")
    tour = f.event(db, title="Museokierros", prov=museum, city_slug="helsinki", venue="Museo")
    small = at(db, concert, next_monday_at(14), capacity=1)
    tuesday = at(db, tour, next_monday_at(10, days=1), kind=SessionKind.IN_PERSON)
    gone = at(db, tour, next_monday_at(12, days=3), kind=SessionKind.IN_PERSON,
              status=SessionStatus.CANCELLED)
    for i, phone in enumerate(("+358401000001", "+358401000002", "+358401000003")):
        registration.register(db, small.id, f.caller(db, phone, name=f"Henkilö {i}"),
                              now=utcnow())
    db.commit()
    return {"small": small, "tuesday": tuesday, "gone": gone, "monday": next_monday_at(0),
            "orchestra": orchestra, "concert": concert}


def test_the_week_is_this_week_by_default_day_by_day(app: Flask, db: DbSession,
                                                     as_staff: Any) -> None:
    ev = f.event(db, title="Tämänviikkoinen")
    soon = f.session(db, ev, starts_in=timedelta(minutes=30))
    db.commit()
    html = as_staff.get("/admin/week").get_data(as_text=True)
    assert rows(html) == [str(soon.id)]
    assert html.count('<section class="day"') == 7
    assert t("week.day_0", "fi") in html and t("week.day_6", "fi") in html


def test_the_week_shows_places_waiting_and_kind(app: Flask, db: DbSession, as_staff: Any,
                                                week: dict[str, Any]) -> None:
    monday = to_local(week["monday"]).date().isoformat()
    html = as_staff.get(f"/admin/week?week={monday}").get_data(as_text=True)
    assert rows(html) == [str(week["small"].id), str(week["tuesday"].id), str(week["gone"].id)]
    row = html[html.index(f'id="session-{week["small"].id}"'):]
    row = row[:row.index("</tr>")]
    assert t("week.places", "fi", confirmed=1, capacity=1) in row
    assert t("week.waiting", "fi", count=2) in row
    assert t("kind.phone", "fi") in row and "731" in row
    # the previous and next week keep the filters
    html = as_staff.get(f"/admin/week?week={monday}&kind=in_person").get_data(as_text=True)
    nxt = (to_local(week["monday"]).date() + timedelta(days=7)).isoformat()
    assert f"?kind=in_person&amp;week={nxt}" in html


@pytest.mark.parametrize(("query", "expected"), [
    ("q=kev%C3%A4t", ["small"]),          # a word of the title
    ("q=731", ["small"]),                 # the code
    ("q=filharmoninen", ["small"]),       # the organiser
    ("q=MUSEO", ["tuesday", "gone"]),     # either case
    ("q=%25", []),                        # LIKE wildcards are plain characters
    ("kind=in_person", ["tuesday", "gone"]),
    ("city=phone", ["small"]),
    ("status=cancelled", ["gone"]),
    ("status=cancelled&kind=phone", []),
    ("kind=nonsense", ["small", "tuesday", "gone"]),  # an unknown value is "all"
])
def test_search_and_filters(app: Flask, db: DbSession, as_staff: Any, week: dict[str, Any],
                            query: str, expected: list[str]) -> None:
    monday = to_local(week["monday"]).date().isoformat()
    html = as_staff.get(f"/admin/week?week={monday}&{query}").get_data(as_text=True)
    assert rows(html) == [str(week[k].id) for k in expected]
    assert t("week.count", "fi", count=len(expected)) in html


def test_the_provider_filter_and_a_providers_own_week(app: Flask, db: DbSession, client: Any,
                                                      week: dict[str, Any]) -> None:
    monday = to_local(week["monday"]).date().isoformat()
    provider_user(db, week["orchestra"])
    staff(db)
    db.commit()
    login(client, "staff@example.test")
    html = client.get(f"/admin/week?week={monday}&provider={week['orchestra'].id}").get_data(as_text=True)
    assert rows(html) == [str(week["small"].id)]
    client.post("/admin/logout", data={})
    client2 = app.test_client()
    login(client2, "prov@example.test")
    html = client2.get(f"/admin/week?week={monday}").get_data(as_text=True)
    assert rows(html) == [str(week["small"].id)]
    assert 'id="provider"' not in html  # a provider sees only its own: nothing to choose


def test_the_week_offers_no_change_for_an_ended_session(app: Flask, db: DbSession,
                                                        as_staff: Any) -> None:
    ev = f.event(db, title="Mennyt")
    today = to_local(utcnow()).date()
    monday = today - timedelta(days=today.weekday())
    start = to_utc(datetime.combine(monday, time(0, 30), LOCAL_TZ))
    if start + timedelta(hours=1) > utcnow():
        pytest.skip("it is Monday night: nothing of this week has ended yet")
    old = at(db, ev, start)
    db.commit()
    html = as_staff.get(f"/admin/week?week={monday.isoformat()}").get_data(as_text=True)
    assert f"/admin/sessions/{old.id}/cancel" not in html
    assert f"/admin/sessions/{old.id}/move" not in html
    assert t("session.over_short", "fi") in html


def test_long_lists_have_pages_that_keep_the_filters(app: Flask, db: DbSession,
                                                     as_staff: Any) -> None:
    prov = f.provider(db, "Kirjasto")
    for n in range(30):
        f.event(db, title=f"Lukupiiri {n:02d}", prov=prov)
    f.event(db, title="Jotain muuta", prov=prov)
    db.commit()
    first = as_staff.get("/admin/events?q=lukupiiri").get_data(as_text=True)
    assert first.count("Lukupiiri ") == 25 and "Jotain muuta" not in first
    assert t("pager.status", "fi", number=1, pages=2, total=30) in first
    assert "/admin/events?q=lukupiiri&amp;page=2" in first
    second = as_staff.get("/admin/events?q=lukupiiri&page=2").get_data(as_text=True)
    assert second.count("Lukupiiri ") == 5 and "Lukupiiri 29" in second
    beyond = as_staff.get("/admin/events?q=lukupiiri&page=99").get_data(as_text=True)
    assert "Lukupiiri 29" in beyond  # past the end: the last page
    for url in ("/admin/recordings?q=x&status=approved", "/admin/listen?q=x&status=approved"):
        html = as_staff.get(url).get_data(as_text=True)
        assert 'role="search"' in html and 'value="approved" selected' in html


def test_the_print_view_lists_people_with_a_column_to_tick(app: Flask, db: DbSession,
                                                            as_staff: Any,
                                                            week: dict[str, Any]) -> None:
    html = as_staff.get(f"/admin/sessions/{week['small'].id}/attendees").get_data(as_text=True)
    assert "Kevätkonsertti" in html and "731" in html
    names = re.findall(r'<th scope="row">([^<]+)</th>', html)
    assert names == ["Henkilö 0", "Henkilö 1", "Henkilö 2"]
    assert html.count('class="tick-box"') == 3
    assert t("attendees.status_waiting", "fi", position=2) in html
    assert "+358401000003" in html


def test_the_csv_names_the_event_and_time_and_speaks_the_admins_language(
        app: Flask, db: DbSession, as_staff: Any, week: dict[str, Any]) -> None:
    s = week["small"]
    local = to_local(s.starts_at)
    resp = as_staff.get(f"/admin/sessions/{s.id}/registrations.csv")
    disposition = resp.headers["Content-Disposition"]
    assert f"ilmoittautuneet-731-kevatkonsertti-{local:%Y-%m-%d-%H%M}.csv" in disposition
    got = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert got[0] == [t("attendees.event", "fi"), "Kevätkonsertti", t("event.code", "fi"), "731"]
    assert got[1][0] == t("attendees.when", "fi") and f"{local:%H.%M}" in got[1][1]
    assert got[3][:4] == ["Tila", "Jonosija", "Nimi", "Puhelinnumero"]
    assert [r[0] for r in got[4:]] == ["paikka", "jonossa", "jonossa"]
    assert [r[1] for r in got[4:]] == ["", "1", "2"]
    from tests.admin_support import post

    post(as_staff, "/admin/language", {"lang": "sv", "next": "/admin/"})
    resp = as_staff.get(f"/admin/sessions/{s.id}/registrations.csv")
    got = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert got[3][:4] == ["Status", "Köplats", "Namn", "Telefonnummer"]
    assert "anmalda-731-" in resp.headers["Content-Disposition"]


def test_an_events_many_sessions_come_in_pages(app: Flask, db: DbSession, as_staff: Any) -> None:
    ev = f.event(db, title="Viikoittainen")
    for week_no in range(30):
        f.session(db, ev, starts_in=timedelta(days=1 + 7 * week_no))
    db.commit()
    first = as_staff.get(f"/admin/events/{ev.id}").get_data(as_text=True)
    assert len(rows(first)) == 25
    assert f"/admin/events/{ev.id}?page=2" in first
    second = as_staff.get(f"/admin/events/{ev.id}?page=2").get_data(as_text=True)
    assert len(rows(second)) == 5 and not set(rows(first)) & set(rows(second))


def test_the_import_worklist_is_searched_in_pages_and_a_decision_keeps_the_place(
        app: Flask, db: DbSession, as_staff: Any) -> None:
    from sqlalchemy import select

    from catalogue.models import Event
    from tests.admin_support import post

    prov = f.provider(db, "Tuonti")
    for n in range(27):
        f.event(db, title=f"Tuotu {n:02d}", prov=prov, review="pending")
    f.event(db, title="Muu tuotu", prov=prov, review="pending")
    db.commit()
    first = as_staff.get("/admin/imports/worklist?q=tuotu").get_data(as_text=True)
    assert t("pager.status", "fi", number=1, pages=2, total=28) in first
    second = as_staff.get("/admin/imports/worklist?q=tuotu+2&page=1").get_data(as_text=True)
    assert "Tuotu 20" in second and "Tuotu 19" not in second
    target = db.scalar(select(Event).where(Event.title_fi == "Tuotu 26"))
    assert target is not None
    resp = post(as_staff, f"/admin/imports/worklist/{target.id}?q=tuotu&page=2",
                {"decision": "approve"}, page="/admin/imports/worklist?q=tuotu&page=2")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(
        "/admin/imports/worklist?q=tuotu&page=2")
    db.commit()  # end this session's read snapshot, to see what the request wrote
    db.expire_all()
    assert db.get_one(Event, target.id).review == "approved"
