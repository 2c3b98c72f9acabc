""""What callers hear": the programme exactly as the phone says it at a chosen day and time,
to a caller of a chosen home city and language — the flow's own nodes speak it
(``ivr_flows.heard``), so "on now", the day said once, the groups and the choices are the
phone's, and nothing is listed that a caller would not hear. Each sentence has a player for its
rendered audio, and each item a "play the whole item" control; a sentence with no audio yet
says so (the phone then reads it from the text)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from flask import current_app, render_template, request
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField

from catalogue.db import get_db
from catalogue.models import LANGUAGES, City, Event
from catalogue.programme import PROPER, ProgrammeItem
from catalogue.programme_cache import ProgrammeCache
from catalogue.timeutil import LOCAL_TZ, to_local, to_utc, utcnow
from ivr_flows.config import settings_from
from ivr_flows.engine import Ctx
from ivr_flows.heard import heard
from ivr_flows.ports import Services
from ivr_flows.programme_groups import GROUPS
from ivr_flows.reply import Segment
from . import access
from .forms import ClockField, DayField, choices
from .i18n import current_lang, t

NO_CITY = ""  # a caller whose number suggests no city: phone events only


@dataclass
class Line:
    text: str
    pause: float
    url: str | None
    recorded: bool = False


@dataclass
class Item:
    session: ProgrammeItem
    lines: list[Line]
    more: list[Line] = field(default_factory=list)
    # Texts missing in the language: names said in Finnish, other texts left out (issue 10).
    fallbacks: list[str] = field(default_factory=list)

    @property
    def missing(self) -> int:
        """Sentences of the whole item with no rendered audio yet."""
        return sum(1 for line in self.lines + self.more if not line.url)


class HearForm(FlaskForm):
    """Read from the query string (GET: nothing changes)."""

    class Meta:
        csrf = False

    day = DayField("hear.day")
    at = ClockField("hear.time")
    city = SelectField("hear.city", default=NO_CITY)
    lang = SelectField("hear.language", default="fi")
    group = SelectField("hear.group", default="")


def _lines(segments: list[Segment]) -> list[Line]:
    svc = current_app.extensions.get("lampio_audio")
    out = []
    for seg in segments:
        url = svc.prompt_url(seg) if svc is not None else None
        out.append(Line(seg.text, seg.pause, url, recorded=bool(seg.audio_path)))
    return out


def hear_form() -> HearForm:
    """The chosen moment and caller; now (to the minute), no city and Finnish by default. A
    value that cannot be read is said next to its field, and now is used meanwhile."""
    form = HearForm(request.args)
    lang = current_lang()
    cities = get_db().scalars(select(City).order_by(City.name_fi)).all()
    form.city.choices = choices([(NO_CITY, t("hear.no_city"))]
                                + [(str(c.id), c.name(lang)) for c in cities])
    form.lang.choices = choices((code, t(f"lang.{code}")) for code in LANGUAGES)
    form.group.choices = choices([("", t("hear.group_first"))]
                                 + [(g, t(f"hear.group_{g}")) for g in (*GROUPS, "all")])
    for name in ("city", "lang", "group"):
        if form[name].data not in {str(v) for v, *_ in form[name].iter_choices()}:
            form[name].data = form[name].default
    if request.args.get("day") or request.args.get("at"):
        form.validate()
    now = to_local(utcnow()).replace(second=0, microsecond=0)
    if not request.args.get("day") or form.day.errors:
        form.day.data = now.date()
    if not request.args.get("at") or form.at.errors:
        form.at.data = now.time()
    return form


def week() -> str:
    db = get_db()
    form = hear_form()
    assert form.day.data is not None and form.at.data is not None
    at = to_utc(datetime.combine(form.day.data, form.at.data, LOCAL_TZ))
    spoken = str(form.lang.data)
    city = int(form.city.data) if form.city.data else None
    svc = current_app.extensions.get("lampio_audio")
    services = Services(describe=svc.describe if svc is not None else None,
                        programme=ProgrammeCache(recheck=0.0))  # its own: at a chosen time
    ctx = Ctx(db=db, settings=settings_from(cast("dict[str, Any]", current_app.config)),
              now=at, state={"lang": spoken, "city": city}, services=services)
    said = heard(ctx, form.group.data or None)
    own = access.own_provider_id()  # a provider sees only its own items, as the phone says them
    items = [Item(h.item, _lines(h.first), _lines(h.more), h.item.fallbacks(spoken))
             for h in said.items if own is None or _provider_of(h.item) == own]
    opening = _lines(said.opening)
    total = sum(len(i.lines) + len(i.more) for i in items) + len(opening)
    rendered = sum(1 for i in items for line in i.lines + i.more if line.url) + sum(
        1 for line in opening if line.url)
    return render_template("admin/hear.html", form=form, items=items, opening=opening,
                           group=said.group, groups=said.groups, PROPER=PROPER, spoken=spoken,
                           at=at, total=total, rendered=rendered)


def _provider_of(item: ProgrammeItem) -> int | None:
    event = get_db().get(Event, item.event_id)
    return event.provider_id if event is not None else None
