"""No Finnish in Swedish or English (issue 10, item 5): organisers, venues and addresses have a
text per language; a missing translation falls back to Finnish only for names, other texts are
left out, and the admin's "what callers hear" marks each fallback for staff."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session as DbSession

from catalogue.models import Event, Session
from catalogue.programme import item_of
from catalogue.timeutil import utcnow
from ivr_flows.facts import detail_segments, item_segments
from ivr_flows.programme import description_text_segments
from tests import factories as f
from tests.admin_support import post
from tests.test_admin_views import as_staff  # noqa: F401  (the fixture: staff logged in)

EVENT = {"category": "music", "title_fi": "Konsertti", "title_sv": "Konsert",
         "title_en": "Concert", "short_fi": "Lyhyt.", "description_fi": "Pitkä kuvaus."}


def said(segments: list[Any]) -> str:
    return " ".join(s.text for s in segments)


def concert(db: DbSession, **fields: Any) -> Session:
    prov = f.provider(db, "Turun filharmoninen orkesteri")
    for name in ("name_sv", "name_en"):
        if name in fields:
            setattr(prov, name, fields.pop(name))
    ev = f.event(db, title="Konsertti", city_slug="turku", prov=prov, venue="Turun konserttitalo",
                 address="Aninkaistenkatu 9", **fields)
    return f.session(db, ev, starts_in=timedelta(hours=3))


def test_translated_names_are_said_in_swedish_and_english(db: DbSession) -> None:
    s = concert(db, name_sv="Åbo filharmoniska orkester", name_en="Turku Philharmonic Orchestra",
                venue_sv="Åbo konserthus", venue_en="Turku Concert Hall",
                address_sv="Aningaisgatan 9", description_sv="Lång beskrivning.")
    db.commit()
    item = item_of(s)
    sv = said(item_segments(item, "sv", utcnow()) + detail_segments(item, "sv"))
    assert "Åbo konserthus, Åbo" in sv and "Åbo filharmoniska orkester" in sv
    assert "Aningaisgatan nio" in sv and "Turun" not in sv
    en = said(item_segments(item, "en", utcnow()) + detail_segments(item, "en"))
    assert "Turku Concert Hall, Turku" in en and "Turku Philharmonic Orchestra" in en
    assert "Aninkaistenkatu nine" in en  # no English street name: the Finnish one, in words
    assert item.fallbacks("sv") == ["short"]
    assert set(item.fallbacks("en")) == {"address", "short", "description"}


def test_missing_translations_fall_back_to_finnish_only_for_names(db: DbSession) -> None:
    s = concert(db)  # nothing translated but the title
    db.commit()
    item = item_of(s)
    sv = said(item_segments(item, "sv", utcnow()) + detail_segments(item, "sv"))
    assert "Turun filharmoninen orkesteri" in sv  # a name: said as it is
    description = said(description_text_segments(item, "sv"))
    assert "Pitkä kuvaus" not in description and "Lyhyt" not in description  # not in Finnish
    assert description == "Det finns ingen mer information om det här evenemanget."
    assert set(item.fallbacks("sv")) == {"provider", "venue", "address", "short", "description"}
    assert item.fallbacks("fi") == []


def test_hear_page_marks_each_fallback(as_staff: Any, db: DbSession) -> None:
    s = concert(db, name_sv="Åbo filharmoniska orkester", venue_sv="Åbo konserthus")
    db.commit()
    # a Turku caller hears the Turku concert (the page asks for the caller's home city)
    turku = f"city={s.event.city_id}"
    html = as_staff.get(f"/admin/hear?{turku}&lang=sv").get_data(as_text=True)
    assert 'data-field="address"' in html and 'data-field="description"' in html
    assert 'data-field="provider"' not in html and 'data-field="venue"' not in html
    assert "Käännös puuttuu, sanotaan suomeksi:" in html  # the address (a name)
    assert "Käännös puuttuu, jätetään sanomatta:" in html  # the description
    fi = as_staff.get(f"/admin/hear?{turku}&lang=fi").get_data(as_text=True)
    assert 'class="fallback"' not in fi


def test_event_form_takes_the_venue_and_address_per_language(as_staff: Any, db: DbSession,
                                                             app: Flask) -> None:
    ev = f.event(db, title="Konsertti", city_slug="turku", venue="Turun konserttitalo")
    db.commit()
    form = as_staff.get(f"/admin/events/{ev.id}/edit").get_data(as_text=True)
    assert 'name="venue_sv"' in form and 'name="address_en"' in form
    resp = post(as_staff, f"/admin/events/{ev.id}/edit", {
        **EVENT, "provider_id": ev.provider_id, "city_id": ev.city_id,
        "venue": "Turun konserttitalo", "venue_sv": "Åbo konserthus",
        "address": "Aninkaistenkatu 9", "address_sv": "Aningaisgatan 9"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    db.commit()
    db.expire_all()
    saved = db.get_one(Event, ev.id)
    assert (saved.venue_sv, saved.address_sv, saved.venue_en) == (
        "Åbo konserthus", "Aningaisgatan 9", "")
