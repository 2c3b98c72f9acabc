"""Numbers, dates and times as words in the caller's language (DESIGN rule 4).

"tiistaina 3. joulukuuta kello 14" must reach the speech engine as
"tiistaina kolmas joulukuuta kello neljätoista": engines read digits unreliably and too fast.
"""
from __future__ import annotations

import re
from datetime import datetime

from babel.dates import get_day_names, get_month_names
from num2words import num2words

from catalogue.timeutil import to_local

from .matching import ascii_digits


def number(n: int, lang: str) -> str:
    return num2words(n, lang=lang)


def ordinal(n: int, lang: str) -> str:
    return num2words(n, lang=lang, to="ordinal")


def digits(value: str, lang: str) -> str:
    """A code or phone number read digit by digit ("1 2 3" → "yksi, kaksi, kolme")."""
    return ", ".join(number(int(c), lang) for c in value if ascii_digits(c))


def weekday(dt: datetime, lang: str) -> str:
    # Babel's "format" context gives the Finnish essive ("tiistaina"), as a sentence wants it.
    return get_day_names("wide", context="format", locale=lang)[dt.weekday()]


def day_and_month(dt: datetime, lang: str) -> str:
    month = get_month_names("wide", context="format", locale=lang)[dt.month]
    day = ordinal(dt.day, lang)
    if lang == "en":
        return f"the {day} of {month}"
    if lang == "sv":
        return f"den {day} {month}"
    return f"{day} {month}"


def clock(dt: datetime, lang: str) -> str:
    """24-hour clock as spoken: "kello neljätoista kolmekymmentä", "at two thirty p m"."""
    h, m = dt.hour, dt.minute
    if lang == "en":
        h12 = h % 12 or 12
        part = "in the morning" if h < 12 else ("in the afternoon" if h < 18 else "in the evening")
        mins = "" if m == 0 else (" oh " + number(m, lang) if m < 10 else " " + number(m, lang))
        return f"at {number(h12, lang)}{mins} {part}"
    word = "kello" if lang == "fi" else "klockan"
    mins = "" if m == 0 else " " + number(m, lang)
    return f"{word} {number(h, lang)}{mins}"


def day(dt_utc: datetime, lang: str) -> str:
    """The Helsinki day of a stored UTC time, without a clock time (an all-day event)."""
    local = to_local(dt_utc)
    return f"{weekday(local, lang)}{',' if lang == 'en' else ''} {day_and_month(local, lang)}"


def when(dt_utc: datetime, lang: str) -> str:
    """A stored UTC time spoken in Helsinki time: weekday, date and clock time."""
    local = to_local(dt_utc)
    if lang == "en":
        return f"{weekday(local, lang)}, {day_and_month(local, lang)}, {clock(local, lang)}"
    return f"{weekday(local, lang)} {day_and_month(local, lang)} {clock(local, lang)}"


_NUMBER_WORDS: dict[str, dict[str, str]] = {
    lang: {num2words(i, lang=lang): str(i) for i in range(10)} for lang in ("fi", "sv", "en")
}
_NUMBER_WORDS["en"].update({"oh": "0", "zero": "0", "to": "2", "too": "2", "for": "4"})
_NUMBER_WORDS["sv"].update({"ett": "1"})


def spoken_digits(speech: str, lang: str) -> str:
    """Digits from a spoken answer: "1 2 3", "123" or "yksi kaksi kolme" all give "123"."""
    table = _NUMBER_WORDS.get(lang, {})
    out: list[str] = []
    for token in re.findall(r"\w+", speech.lower()):
        if ascii_digits(token):
            out.append(token)
        elif token in table:
            out.append(table[token])
    return "".join(out)


def clock_short(hour: int, minute: int, lang: str) -> str:
    """A time of day without "kello", for spans such as office hours."""
    if lang == "en":
        if hour >= 24:  # office hours "to 24:00"
            return "midnight"
        return clock(datetime(2000, 1, 1, hour, minute), lang).removeprefix("at ")
    return number(hour, lang) + ("" if minute == 0 else " " + number(minute, lang))
