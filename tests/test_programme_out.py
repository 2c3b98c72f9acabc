"""The programme going out: public calendar feeds (parsed back with icalendar), the large-print
PDF (its text read with pdftotext, its first page rendered to PNG for people to look at) and
``lampio print``; the admin's import pages, worklist and read-only source fields."""
from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from admin.printing import this_monday
from admin.week_programme import week_name
from catalogue.models import Event, ImportSource, SessionStatus, SourceKind
from catalogue.timeutil import to_utc
from tests import factories
from tests.admin_support import login, post, staff

NUMBER = "+358942000000"


@pytest.fixture
def week(app: Flask, db: DbSession) -> dict[str, Event]:
    app.config["SERVICE_PHONE_NUMBER"] = NUMBER
    monday = this_monday() + timedelta(weeks=1)
    from datetime import datetime, time
    start = datetime.combine(monday + timedelta(days=1), time(14, 0))
    out = {}
    for name, city in (("Åbo konsert", "turku"), ("Puhelinlaulu", None), ("Ateneum-kierros", "helsinki")):
        ev = factories.event(db, title=name, city_slug=city)
        ev.title_sv = name + " på svenska"
        ev.price_text_fi = "5 €"
        s = factories.session(db, ev, starts_in=timedelta(days=1))
        s.starts_at, s.ends_at = to_utc(start), to_utc(start + timedelta(minutes=90))
        out[name] = ev
    out["Ateneum-kierros"].sessions[0].status = SessionStatus.CANCELLED
    hidden = factories.event(db, title="Odottaa", city_slug="turku")
    hidden.review = "pending"
    factories.session(db, hidden, starts_in=timedelta(days=8))
    db.commit()
    return out


def test_feeds_parse_back_with_codes_and_the_number(client: FlaskClient, week: dict[str, Event]) -> None:
    whole = Calendar.from_ical(client.get("/programme.ics").data)
    events = whole.walk("VEVENT")
    assert sorted(str(e["summary"]).split(" (")[0] for e in events) == [
        "Ateneum-kierros", "Puhelinlaulu", "Åbo konsert"]
    song = next(e for e in events if str(e["summary"]).startswith("Puhelinlaulu"))
    code = week["Puhelinlaulu"].code
    assert code in str(song["summary"]) and "09 42000000" in str(song["description"])
    assert f"paina 4 ja koodi {code}" in str(song["description"])
    assert song.decoded("dtstart").utcoffset() == timedelta(0)
    cancelled = next(e for e in events if str(e["summary"]).startswith("Ateneum"))
    assert str(cancelled["status"]) == "CANCELLED"
    turku = Calendar.from_ical(client.get("/programme/turku.sv.ics").data).walk("VEVENT")
    assert sorted(str(e["summary"]).split(" (")[0] for e in turku) == [
        "Puhelinlaulu på svenska", "Åbo konsert på svenska"]
    assert "tryck 4" in str(turku[0]["description"])
    assert client.get("/programme/nowhere.fi.ics").status_code == 404
    assert client.get("/programme/turku.de.ics").status_code == 404


def test_the_large_print_pdf(app: Flask, week: dict[str, Event], tmp_path: Path) -> None:
    result = app.test_cli_runner().invoke(args=[
        "print", "--week", week_name(this_monday() + timedelta(weeks=1)), "--city", "turku",
        "--lang", "sv", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    pdf = Path(result.output.strip())
    assert pdf.exists() and pdf.name.endswith("-turku-sv.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    for ev in ("Puhelinlaulu", "Åbo konsert"):
        assert week[ev].code in text
    assert "Åbo konsert på svenska" in text and "Odottaa" not in text
    assert text.count("Ring 09 42000000, tryck 4 och koden.") >= 2  # the header and every page
    assert "Ateneum" not in text  # Helsinki's in-person event is not in Turku's programme
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "DejaVu" in fonts
    out = tmp_path / "print-preview"  # pytest keeps the last runs' folders
    out.mkdir()
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf),
                    str(out / "programme")], check=True)
    png = next(out.glob("programme*.png"))
    assert png.stat().st_size > 5000
    print(f"\nfirst page for people to look at: {png}")


def test_admin_imports_worklist_print_and_read_only_fields(client: FlaskClient, db: DbSession,
                                                           week: dict[str, Event]) -> None:
    staff(db)
    db.commit()
    login(client, "staff@example.test")
    assert "Tapahtumien tuonti" in client.get("/admin/imports").get_data(as_text=True)
    resp = post(client, "/admin/imports/new", {
        "name": "Turku", "kind": "linkedevents", "url": "https://api.turku.example/v1/",
        "keywords": "yso:p2433", "city_id": factories.city(db, "turku").id, "provider_id": 0,
        "interval_minutes": 120, "window_days": 28, "enabled": "y"}, page="/admin/imports/new")
    assert resp.status_code == 302, resp.get_data(as_text=True)[-3000:]
    db.rollback()
    src = db.scalar(select(ImportSource).where(ImportSource.name == "Turku"))
    assert src is not None and src.kind == SourceKind.LINKED_EVENTS and not src.auto_approve
    no_token = client.post("/admin/imports/new", data={"name": "X"})
    assert no_token.status_code == 400

    pending = db.scalar(select(Event).where(Event.review == "pending"))
    assert pending is not None
    page = client.get("/admin/imports/worklist").get_data(as_text=True)
    assert pending.code in page and "Hyväksy" in page
    post(client, f"/admin/imports/worklist/{pending.id}", {"decision": "approve"},
         page="/admin/imports/worklist")
    db.rollback()
    db.expire_all()
    assert db.get(Event, pending.id).review == "approved"  # type: ignore[union-attr]

    imported = week["Åbo konsert"]
    imported.source_id, imported.source_key, imported.venue = src.id, "turku:1", "Sigyn-sali"
    db.commit()
    form = client.get(f"/admin/events/{imported.id}/edit").get_data(as_text=True)
    assert "tuotu lähteestä Turku" in form and 'readonly' in form
    post(client, f"/admin/events/{imported.id}/edit", {
        "title_fi": "Muutettu", "category": "theatre", "provider_id": imported.provider_id,
        "city_id": 0}, page=f"/admin/events/{imported.id}/edit")
    db.rollback()
    db.expire_all()
    again = db.get(Event, imported.id)
    assert again is not None and again.title_fi == "Åbo konsert" and again.city_id is not None
    assert again.category == "theatre"  # what staff may still change

    assert "Ohjelma isolla tekstillä" in client.get("/admin/print").get_data(as_text=True)
    wk = week_name(this_monday() + timedelta(weeks=1))
    html = client.get(f"/admin/print?week={wk}&city=turku&lang=fi&format=html").get_data(as_text=True)
    assert "Soita 09 42000000, paina 4 ja koodi." in html and week["Puhelinlaulu"].code in html
    pdf = client.get(f"/admin/print?week={wk}&city=&lang=en&format=pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    bad = client.get("/admin/print?week=nonsense&city=&lang=fi")
    assert bad.status_code == 200 and "2026-W49" in bad.get_data(as_text=True)
