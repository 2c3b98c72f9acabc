"""Dates, times, numbers and phone numbers as the admin shows them: one place, through Babel's
CLDR patterns for the admin's language, always in Helsinki time. Templates reach these through
the filters ``admin_local_dt``, ``admin_local_span``, ``admin_number`` and ``admin_phone``
(``templating``); Python code (flash messages, charts, CSV) calls the same functions."""
from __future__ import annotations

from datetime import date, datetime

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from catalogue.callers import written
from catalogue.timeutil import LOCAL_TZ, to_local
from .i18n import current_lang

# The forms a date or time is shown in, as CLDR skeletons (Babel picks each language's pattern).
SKELETONS = {
    "date": "yMEd",  # to 3.12.2026 · tors 3/12/2026 · Thu, 12/3/2026
    "day": "MEd",  # to 3.12. · tors 3/12 · Thu, 12/3 (a chart's axis, a list within a week)
    "daymonth": "Md",  # 3.12. · 3/12 · 12/3
    "numeric": "yMd",  # 3.12.2026 · 2026-12-03 · 12/3/2026
    "time": "Hm",  # 14.05 · 14:05 · 14:05 (the 24-hour clock in every language)
}
DATETIME_FORMS = {"datetime": ("date", "time"), "short": ("day", "time")}
NONE = "–"


def _pattern(lang: str, form: str) -> str:
    """The Babel pattern of a form; a date and a time are joined as the language joins them."""
    loc = Locale.parse(lang)
    if form in DATETIME_FORMS:
        day, clock = (_pattern(lang, part) for part in DATETIME_FORMS[form])
        joint = str(loc.datetime_formats["medium"])
        return joint.replace("{1}", day).replace("{0}", clock)
    return str(loc.datetime_skeletons[SKELETONS[form]].pattern)


def local_dt(value: datetime | date | None, form: str = "datetime", lang: str | None = None) -> str:
    """A stored UTC time (or a date) in Helsinki time, e.g. "to 3.12.2026 14.05"; "–" for none.
    ``form``: datetime, short, date, day, daymonth, numeric or time."""
    if value is None:
        return NONE
    lang = lang or current_lang()
    if isinstance(value, datetime):
        return format_datetime(to_local(value), _pattern(lang, form), tzinfo=LOCAL_TZ, locale=lang)
    return format_date(value, _pattern(lang, form), locale=lang)


def local_span(start: datetime | None, end: datetime | None, lang: str | None = None) -> str:
    """From–to: "to 3.12.2026 14.05–15.35" on one day, else both ends in full."""
    if start is None or end is None:
        return local_dt(start or end, lang=lang)
    if to_local(start).date() == to_local(end).date():
        return f"{local_dt(start, lang=lang)}–{local_dt(end, 'time', lang)}"
    return f"{local_dt(start, lang=lang)} – {local_dt(end, lang=lang)}"


def number(value: int | float, lang: str | None = None) -> str:
    """A count as the language writes it (10 000 · 10 000 · 10,000)."""
    return format_decimal(value, locale=lang or current_lang())


def phone(e164: str | None) -> str:
    """A caller's number written nationally (040 1234567); "–" for none."""
    return written(e164) or NONE
