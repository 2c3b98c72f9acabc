"""Lists that grow: one filter form (search by title, code or organiser; city, provider, kind,
status) and one pager, shared by the week view, the events, the recordings and the recordings
by phone. Each list names the filters it offers; each filter is written once, here."""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from flask import request
from flask_wtf import FlaskForm
from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import Session as DbSession
from wtforms import SearchField, SelectField
from wtforms.validators import Length

from catalogue.db import get_db
from catalogue.models import City, Event, Provider, Session, SessionKind
from catalogue.timeutil import to_local, utcnow
from . import access
from .forms import choices
from .i18n import current_lang, t

PER_PAGE = 25
ALL = ""  # every value of a filter
BY_PHONE = "phone"  # the city filter's value for events by phone (no city)
FIELDS = ("q", "city", "provider", "kind", "status")
T = TypeVar("T")


class FilterForm(FlaskForm):
    """Read from the query string (GET: nothing changes, so no CSRF token)."""

    class Meta:
        csrf = False

    q = SearchField("filter.search", validators=[Length(max=100, message="err.too_long")])
    city = SelectField("filter.city", default=ALL)
    provider = SelectField("filter.provider", default=ALL)
    kind = SelectField("filter.kind", default=ALL)
    status = SelectField("filter.status", default=ALL)


def provider_options() -> list[tuple[int, str]]:
    """Every provider by name, for staff: to filter by, and to choose in the event form."""
    return [(p.id, p.name) for p in get_db().scalars(select(Provider).order_by(Provider.name))]


def filter_form(fields: Iterable[str], statuses: Sequence[tuple[str, str]] = ()) -> FilterForm:
    """The form with only ``fields``; ``statuses`` are (value, message key) of the list's own
    statuses. A value not among a field's choices counts as "all". A provider sees only its
    own, so it gets no provider filter."""
    form = FilterForm(request.args)
    wanted = set(fields)
    if not access.user().is_staff:
        wanted.discard("provider")
    every = (ALL, t("filter.all"))
    lang = current_lang()
    cities = get_db().scalars(select(City).order_by(City.name_fi)).all()
    form.city.choices = choices([every, (BY_PHONE, t("event.by_phone"))]
                                + [(str(c.id), c.name(lang)) for c in cities])
    form.provider.choices = choices([every] + ([(str(i), name) for i, name in provider_options()]
                                               if "provider" in wanted else []))
    form.kind.choices = choices([every] + [(k.value, t(f"kind.{k.value}")) for k in SessionKind])
    form.status.choices = choices([every] + [(v, t(key)) for v, key in statuses])
    for name in FIELDS:
        field = form[name]
        if name not in wanted:
            del form[name]
        elif name != "q" and field.data not in {c[0] for c in _values(field)}:
            field.data = ALL
    form.validate()
    return form


def _values(field: SelectField) -> list[tuple[str, Any]]:
    return [(str(value), label) for value, label, *_ in field.iter_choices()]


def value(form: FilterForm, name: str) -> str:
    """The chosen value ("" for all, or a field the list does not offer)."""
    return str(form[name].data or "").strip() if name in form else ALL


def filtered(stmt: Select[Any], form: FilterForm) -> Select[Any]:
    """The event and session filters on a statement that joins ``Event`` (and ``Session`` when
    the form offers kind). The list applies its own status."""
    q = value(form, "q")
    if q and not form.errors:
        organisers = select(Provider.id).where(Provider.name.icontains(q, autoescape=True))
        stmt = stmt.where(or_(Event.code == q, Event.provider_id.in_(organisers),
                              *(getattr(Event, f"title_{lang}").icontains(q, autoescape=True)
                                for lang in ("fi", "sv", "en"))))
    elif form.errors:
        stmt = stmt.where(false())
    city = value(form, "city")
    if city == BY_PHONE:
        stmt = stmt.where(Event.city_id.is_(None))
    elif city:
        stmt = stmt.where(Event.city_id == int(city))
    if value(form, "provider"):
        stmt = stmt.where(Event.provider_id == int(value(form, "provider")))
    if value(form, "kind"):
        stmt = stmt.where(Session.kind == SessionKind(value(form, "kind")))
    return stmt


def query_string(form: FilterForm, **extra: Any) -> str:
    """The filters (and ``extra``) as a query string, for the pager's and the week's links."""
    values = {name: value(form, name) for name in FIELDS if value(form, name)}
    values.update({k: v for k, v in extra.items() if v not in (None, "")})
    return urlencode(values)


@dataclass
class Page(Generic[T]):
    items: list[T]
    number: int
    pages: int
    total: int


def paginate(db: DbSession, stmt: Select[Any], per_page: int = PER_PAGE) -> Page[Any]:
    """``?page=N`` of the statement's rows (ordered by the caller); a page past the end is the
    last one."""
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    raw = request.args.get("page", "1")
    number = min(max(int(raw) if raw.isdigit() else 1, 1), pages)
    items = list(db.scalars(stmt.limit(per_page).offset((number - 1) * per_page)).unique())
    return Page(items, number, pages, total)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_from_args() -> date:
    """``?week=`` any day of the week (ISO date) → its Monday; this week's without one."""
    try:
        return monday_of(date.fromisoformat(request.args.get("week", "")))
    except ValueError:
        return monday_of(to_local(utcnow()).date())
