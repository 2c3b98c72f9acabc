"""Office hours and "when we call you back" in words, in the caller's language (issue 10 item 7).

Every window of ``OFFICE_HOURS`` is said, in the grammar each language needs: Finnish takes the
elative and illative of weekdays and numbers ("maanantaista perjantaihin kello yhdeksästä
viiteentoista") — ``speak`` has the weekdays' cases and says the clock times — Swedish and
English need no cases ("måndag till fredag klockan nio till femton").
"""
from __future__ import annotations

from datetime import datetime, time

from babel.dates import get_day_names

from catalogue.timeutil import to_local

from . import prompts, speak
from .office_hours import OfficeHours


def runs(hours: OfficeHours) -> list[tuple[int, int, time, time]]:
    """(first day, last day, opens, closes) for each run of consecutive days with equal hours."""
    out: list[tuple[int, int, time, time]] = []
    for d, o, c in sorted(hours.windows):
        if out and out[-1][1] + 1 == d and out[-1][2:] == (o, c):
            out[-1] = (out[-1][0], d, o, c)
        else:
            out.append((d, d, o, c))
    return out


def _time(t: time, lang: str, case: str = "nominative") -> str:
    """A window's edge in words, with the case Finnish needs; "24:00" is the day's end
    (``speak.clock_short`` is the one way a clock time is said; English hours say a m / p m,
    shorter than "in the morning", to keep the closed line's turn short)."""
    hour, minute = OfficeHours.said(t)
    if lang == "en" and hour < 24 and (hour, minute) != (12, 0):
        return speak.clock_short(hour, minute, lang).replace(" in the morning", " a m").replace(
            " in the afternoon", " p m").replace(" in the evening", " p m")
    return speak.clock_short(hour, minute, lang, case)


def _run_text(lang: str, first: int, last: int, opens: time, closes: time) -> str:
    if lang == "fi":
        days = (speak.fi_weekday(first, "every") if first == last else
                f"{speak.fi_weekday(first, 'elative')} {speak.fi_weekday(last, 'illative')}")
        return f"{days} kello {_time(opens, lang, 'elative')} {_time(closes, lang, 'illative')}"
    names = get_day_names("wide", context="format", locale=lang)
    if lang == "sv":
        days = f"på {names[first]}ar" if first == last else f"{names[first]} till {names[last]}"
        return f"{days} klockan {_time(opens, lang)} till {_time(closes, lang)}"
    days = f"on {names[first]}s" if first == last else f"{names[first]} to {names[last]}"
    return f"{days}, {_time(opens, lang)} to {_time(closes, lang)}"


def hours_text(lang: str, hours: OfficeHours) -> str:
    """Every window: "… ja lauantaisin kello kymmenestä kahteentoista"."""
    parts = [_run_text(lang, *run) for run in runs(hours)]
    if not parts:
        return ""
    joiner = {"fi": " ja ", "sv": " och ", "en": " and "}[lang]
    return joiner.join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)


def days_ahead(hours: OfficeHours, now_utc: datetime) -> int | None:
    """In how many days someone is next in (0: later today), or None without any hours."""
    local = to_local(now_utc)
    for ahead in range(8):
        day = (local.weekday() + ahead) % 7
        if any(d == day and (ahead > 0 or local.time() < c) for d, _, c in hours.windows):
            return ahead
    return None


def day_words(lang: str, ahead: int, weekday: int) -> str:
    """"tänään", "huomenna", "maanantaina" / "i dag", "i morgon", "på måndag" / "on Monday"."""
    if ahead == 0:
        return prompts.text(lang, "person.today")
    if ahead == 1:
        return prompts.text(lang, "person.tomorrow")
    name = get_day_names("wide", context="format", locale=lang)[weekday]
    return prompts.text(lang, "person.on_day", day=name)


def call_back_when(lang: str, hours: OfficeHours, now_utc: datetime) -> str:
    ahead = days_ahead(hours, now_utc)
    if ahead is None:
        return prompts.text(lang, "person.soon")
    return day_words(lang, ahead, (to_local(now_utc).weekday() + ahead) % 7)
