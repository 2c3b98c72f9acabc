"""The large-print weekly programme, as print HTML and as PDF (WeasyPrint, fonts DejaVu Sans
for å, ä, ö): per city and language, one column, day headings, each event's time, title, how
to take part, price and code in large type, and the number with "press 4 and the code" on
every page (the PDF's page footer). Staff download it from the admin; ``lampio print`` writes it."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from babel.dates import format_date
from flask import Flask, Response, abort, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from catalogue.db import get_db
from catalogue.models import LANGUAGES, City
from catalogue.timeutil import to_local, utcnow
from . import access
from .import_forms import PrintForm
from .formats import local_dt
from .i18n import current_lang, t
from .week_programme import by_day, parse_week, service_number, sessions, week_name


def this_monday() -> date:
    today = to_local(utcnow()).date()
    return today - timedelta(days=today.weekday())


def render_html(app: Flask, db: DbSession, monday: date, city_slug: str | None, lang: str) -> str:
    """The print page; ``LookupError`` for an unknown city. Needs an app context."""
    cities = db.scalars(select(City).order_by(City.id)).all()
    if city_slug:
        cities = [c for c in cities if c.slug == city_slug]
        if not cities:
            raise LookupError(f"no city {city_slug!r}")
    number = service_number(app)
    sections = []
    for city in cities:
        days = by_day(sessions(db, monday, 7, city), lang)
        sections.append((city.name(lang) if len(cities) > 1 or city_slug else "",
                         [(format_date(d, "EEEE d.M.", locale=lang).capitalize(), lines)
                          for d, lines in days]))
    last = monday + timedelta(days=6)
    return render_template(
        "admin/print_programme.html", lang=lang, week=week_name(monday), sections=sections,
        heading=t("print.heading", lang), code_word=t("print.code", lang),
        nothing=t("print.nothing", lang), call_line=t("print.call", lang, number=number),
        week_line=t("print.week_of", lang, week=week_name(monday).split("-W")[1],
                    first=local_dt(monday, "daymonth", lang),
                    last=local_dt(last, "numeric", lang)))


def render_pdf(html: str, base_url: str | None = None) -> bytes:
    from weasyprint import HTML  # loaded only when a PDF is made: it brings pango in

    pdf: bytes = HTML(string=html, base_url=base_url).write_pdf()
    return pdf


def write(app: Flask, db: DbSession, monday: date, city: str | None, lang: str, out_dir: Path,
          fmt: str = "pdf") -> Path:
    """Write the programme under ``out_dir``; returns the file's path."""
    html = render_html(app, db, monday, city, lang)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"programme-{week_name(monday)}-{city or 'all'}-{lang}.{fmt}"
    if fmt == "pdf":
        path.write_bytes(render_pdf(html))
    else:
        path.write_text(html, encoding="utf-8")
    return path


@access.staff_only
def page() -> str | Response:
    """The download form (GET), and the file itself when the form is sent (GET with values:
    nothing changes, so a link can be bookmarked)."""
    from flask import current_app

    db = get_db()
    form = PrintForm(request.args, meta={"csrf": False})
    lang = current_lang()
    cities = db.scalars(select(City).order_by(City.id)).all()
    form.city.choices = [("", t("print.all_cities"))] + [(c.slug, c.name(lang)) for c in cities]
    form.lang.choices = [(code, t(f"lang.{code}")) for code in LANGUAGES]
    if not request.args:
        form.week.data, form.lang.data = week_name(this_monday()), lang
        return render_template("admin/print_form.html", form=form)
    if not form.validate():
        return render_template("admin/print_form.html", form=form)
    try:
        html = render_html(current_app, db, parse_week(form.week.data or ""), form.city.data or None,
                           form.lang.data or "fi")
    except LookupError:
        abort(404)
    if request.args.get("format") == "html":
        return html
    name = f"programme-{form.week.data}-{form.city.data or 'all'}-{form.lang.data}.pdf"
    return Response(render_pdf(html), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
