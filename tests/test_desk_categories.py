"""Categories from one list (issue 12): the demo uses only listed ones, the form offers exactly
the list with translated names, editing an event keeps its category, an unknown one is refused
next to the field, and the migration maps older keys onto the list."""
from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.orm import Session as DbSession

from admin.i18n import LANGUAGES, has, t
from catalogue import schedule
from catalogue.categories import CATEGORIES, UnknownCategory
from catalogue.demo import load_data, load_demo
from catalogue.models import Event
from catalogue.timeutil import utcnow
from tests import factories as f
from tests.admin_support import as_staff  # noqa: F401  (a fixture)
from tests.admin_support import post

_OPTION = re.compile(r'<option value="([^"]*)"( selected)?>([^<]*)</option>')



def category_options(html: str) -> list[tuple[str, bool, str]]:
    block = html[html.index('id="category"'):]
    block = block[:block.index("</select>")]
    return [(v, bool(sel), label) for v, sel, label in _OPTION.findall(block)]


def test_every_category_has_a_name_in_every_language() -> None:
    for lang in LANGUAGES:
        for key in CATEGORIES:
            assert has(f"category.{key}", lang)
            assert t(f"category.{key}", lang) != f"category.{key}"
    assert t("category.singalong", "sv") != t("category.singalong", "fi")


def test_the_demo_uses_only_listed_categories() -> None:
    used = {e["category"] for e in load_data()["events"]}
    assert used <= set(CATEGORIES)
    assert {"exercise", "singalong", "literature"} <= used


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_the_form_offers_exactly_the_list_and_keeps_every_demo_category(
        app: Flask, db: DbSession, as_staff: Any, lang: str) -> None:
    load_demo(db, utcnow())
    db.commit()
    post(as_staff, "/admin/language", {"lang": lang, "next": "/admin/"})
    events = db.scalars(select(Event)).all()
    assert len(events) == 18
    for ev in events:
        html = as_staff.get(f"/admin/events/{ev.id}/edit").get_data(as_text=True)
        options = category_options(html)
        assert [v for v, _, _ in options] == list(CATEGORIES)
        assert [v for v, sel, _ in options if sel] == [ev.category]
        assert all(label == t(f"category.{v}", lang) for v, _, label in options)
        shown = as_staff.get(f"/admin/events/{ev.id}").get_data(as_text=True)
        assert "category." not in shown


def test_saving_an_event_keeps_its_category(app: Flask, db: DbSession, as_staff: Any) -> None:
    ev = f.event(db, category="exercise")
    db.commit()
    resp = post(as_staff, f"/admin/events/{ev.id}/edit",
                {"category": "exercise", "city_id": 0, "title_fi": "Tuolijumppa",
                 "provider_id": ev.provider_id}, page=f"/admin/events/{ev.id}/edit")
    assert resp.status_code == 302
    db.commit()  # end the read snapshot: see what the requests wrote
    db.expire_all()
    assert db.get_one(Event, ev.id).category == "exercise"


def test_an_unknown_category_is_refused_next_to_the_field(app: Flask, db: DbSession,
                                                          as_staff: Any) -> None:
    ev = f.event(db, category="music", title="Konsertti")
    db.commit()
    resp = post(as_staff, f"/admin/events/{ev.id}/edit",
                {"category": "poetry", "city_id": 0, "title_fi": "Uusi nimi",
                 "provider_id": ev.provider_id}, page=f"/admin/events/{ev.id}/edit")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and t("err.category", "fi") in html
    assert 'value="Uusi nimi"' in html  # what was typed is kept
    db.commit()  # end the read snapshot: see what the requests wrote
    db.expire_all()
    assert (db.get_one(Event, ev.id).category, db.get_one(Event, ev.id).title_fi) == (
        "music", "Konsertti")  # nothing saved
    with pytest.raises(UnknownCategory):
        schedule.edit_event(db, db.get_one(Event, ev.id), {"category": "poetry"})


def test_the_migration_maps_older_keys_onto_the_list(app: Flask, db: DbSession) -> None:
    from alembic import command

    from catalogue import migrate

    prov = f.provider(db)
    for code, category in (("301", "poetry"), ("302", "reading"), ("303", "exercise"),
                           ("304", "something else")):
        db.execute(text("INSERT INTO event (code, provider_id, category, title_fi, title_sv,"
                        " title_en, short_fi, short_sv, short_en, description_fi, description_sv,"
                        " description_en, price_text_fi, price_text_sv, price_text_en, venue,"
                        " address, updated_at, review) VALUES (:c, :p, :cat, 'x', '', '', '', '',"
                        " '', '', '', '', '', '', '', '', '', :now, 'approved')"),
                   {"c": code, "p": prov.id, "cat": category, "now": utcnow()})
    db.commit()
    with migrate.locked_connection(app) as conn:
        command.downgrade(migrate.alembic_config(app.config["DATABASE_URL"], conn),
                          "0007_texts_per_language")
    migrate.upgrade(app)
    db.commit()  # end the read snapshot: see what the requests wrote
    db.expire_all()
    got = dict(db.execute(select(Event.code, Event.category)).all())
    assert got == {"301": "literature", "302": "literature", "303": "exercise", "304": "other"}
