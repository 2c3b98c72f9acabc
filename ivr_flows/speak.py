"""Numbers, dates, times, lengths and prices as words in the caller's language (DESIGN rule 4).

"torstaina 3.12. kello 14" must reach the speech engine as "torstaina kolmantena joulukuuta kello
neljätoista": engines read digits unreliably and too fast. Finnish inflects numbers, so every
helper takes the grammatical case the sentence needs (num2words does the numbers' case forms;
the weekday tables below do the rest). One form of the clock per language: "kello seitsemän nolla
viisi", "klockan sju noll fem", "at seven oh five in the morning".
"""
from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

from babel.dates import get_day_names, get_month_names
from num2words import num2words

from catalogue.timeutil import to_local

from .matching import ascii_digits

# Finnish weekdays in the cases a sentence asks for ("maanantaina", "maanantaista
# perjantaihin"); Babel gives only the nominative and the essive.
_FI_WEEKDAYS: dict[str, tuple[str, ...]] = {
    "essive": ("maanantaina", "tiistaina", "keskiviikkona", "torstaina", "perjantaina",
               "lauantaina", "sunnuntaina"),
    "illative": ("maanantaihin", "tiistaihin", "keskiviikkoon", "torstaihin", "perjantaihin",
                 "lauantaihin", "sunnuntaihin"),
    "elative": ("maanantaista", "tiistaista", "keskiviikosta", "torstaista", "perjantaista",
                "lauantaista", "sunnuntaista"),
    "nominative": ("maanantai", "tiistai", "keskiviikko", "torstai", "perjantai", "lauantai",
                   "sunnuntai"),
    # "on every Monday": the adverb, for office hours ("lauantaisin")
    "every": ("maanantaisin", "tiistaisin", "keskiviikkoisin", "torstaisin", "perjantaisin",
              "lauantaisin", "sunnuntaisin"),
}


def fi_weekday(index: int, case: str) -> str:
    """A Finnish weekday (0 = Monday) in ``case``: essive, illative, elative, nominative,
    every."""
    return _FI_WEEKDAYS[case][index]


@lru_cache(maxsize=4096)
def number(n: int, lang: str, case: str = "nominative") -> str:
    """A cardinal; ``case`` matters in Finnish only ("viiteen", "viidestä"). Kept: num2words
    costs more than the rest of a sentence, and a week holds few numbers."""
    if lang == "fi" and case != "nominative":
        return num2words(n, lang="fi", case=case)
    words = num2words(n, lang=lang)
    if lang == "sv":  # num2words writes "etttusen", "etttusenett" (Swedish: "ettusen")
        words = words.replace("etttusen", "ettusen")
    elif lang == "en":  # "one thousand, two hundred": no comma (a pause) inside a number
        words = words.replace(",", "")
    return words


@lru_cache(maxsize=4096)
def ordinal(n: int, lang: str, case: str = "nominative") -> str:
    """An ordinal ("kolmantena", "tredje", "third"); kept as ``number`` is."""
    if lang == "fi" and case != "nominative":
        return num2words(n, lang="fi", to="ordinal", case=case)
    return num2words(n, lang=lang, to="ordinal")


def digits(value: str, lang: str) -> str:
    """A code or phone number read digit by digit ("1 2 3" → "yksi, kaksi, kolme")."""
    return ", ".join(number(int(c), lang) for c in value if ascii_digits(c))


def weekday(dt: datetime, lang: str, case: str = "essive") -> str:
    if lang == "fi":
        return _FI_WEEKDAYS[case][dt.weekday()]
    return get_day_names("wide", context="format", locale=lang)[dt.weekday()]


def day_and_month(dt: datetime, lang: str, case: str = "essive") -> str:
    """"kolmantena joulukuuta" (a date in Finnish takes the weekday's case), "den tredje
    december", "the third of December"."""
    month = get_month_names("wide", context="format", locale=lang)[dt.month]
    if lang == "en":
        return f"the {ordinal(dt.day, lang)} of {month}"
    if lang == "sv":
        return f"den {ordinal(dt.day, lang)} {month}"
    return f"{ordinal(dt.day, lang, case)} {month}"


def clock(dt: datetime, lang: str, case: str = "nominative") -> str:
    """24-hour clock as spoken: "kello neljätoista kolmekymmentä", "kello seitsemän nolla viisi",
    "klockan sju noll fem", "at seven oh five in the morning"."""
    if lang == "en":
        return "at " + clock_short(dt.hour, dt.minute, lang)
    word = "kello" if lang == "fi" else "klockan"
    return f"{word} {clock_short(dt.hour, dt.minute, lang, case)}"


def clock_short(hour: int, minute: int, lang: str, case: str = "nominative") -> str:
    """A time of day without "kello", for spans such as office hours ("yhdeksästä")."""
    if lang == "en":
        if hour >= 24:  # office hours "to 24:00"
            return "midnight"
        if (hour, minute) == (12, 0):
            return "twelve noon"
        h12 = hour % 12 or 12
        part = ("in the morning" if hour < 12 else
                "in the afternoon" if hour < 18 else "in the evening")
        mins = "" if minute == 0 else (
            " oh " + number(minute, lang) if minute < 10 else " " + number(minute, lang))
        return f"{number(h12, lang)}{mins} {part}"
    out = number(hour, lang, case)
    if minute:
        zero = "nolla " if lang == "fi" else "noll "
        out += " " + (zero if minute < 10 else "") + number(minute, lang, case)
    return out


def date(dt_utc: datetime, lang: str, case: str = "essive") -> str:
    """A stored UTC time's day in Helsinki time: "torstaina kolmantena joulukuuta"."""
    local = to_local(dt_utc)
    if lang == "en":
        return f"{weekday(local, lang)}, {day_and_month(local, lang)}"
    return f"{weekday(local, lang, case)} {day_and_month(local, lang, case)}"


def time_of_day(dt_utc: datetime, lang: str) -> str:
    """Only the clock time (the day was already said): "kello neljätoista"."""
    return clock(to_local(dt_utc), lang)


def day(dt_utc: datetime, lang: str) -> str:
    """The Helsinki day of a stored UTC time, without a clock time (an all-day event)."""
    local = to_local(dt_utc)
    return f"{weekday(local, lang)}{',' if lang == 'en' else ''} {day_and_month(local, lang)}"


def when(dt_utc: datetime, lang: str) -> str:
    """A stored UTC time spoken in Helsinki time: weekday, date and clock time."""
    sep = ", " if lang == "en" else " "
    return f"{date(dt_utc, lang)}{sep}{time_of_day(dt_utc, lang)}"


def until(dt_utc: datetime, lang: str, with_date: bool = True) -> str:
    """"Up to then": "sunnuntaihin kuudenteen joulukuuta kello kahdeksaantoista asti", "till
    söndag den sjätte december klockan arton", "until Sunday, the sixth of December, at six in
    the evening". Within the coming week the weekday says it (``with_date`` False):
    "sunnuntaihin kello kahdeksaantoista asti"."""
    local = to_local(dt_utc)
    if not with_date:
        day = weekday(local, lang, "illative")
        if lang == "fi":
            return f"{day} {clock(local, lang, 'illative')} asti"
        return f"{'till' if lang == 'sv' else 'until'} {day} {clock(local, lang)}"
    if lang == "fi":
        return f"{date(dt_utc, lang, 'illative')} {clock(local, lang, 'illative')} asti"
    word = "till" if lang == "sv" else "until"
    return f"{word} {when(dt_utc, lang)}"


def since(dt_utc: datetime, lang: str) -> str:
    """A start after "alkaen" / "från" / "from": Finnish takes the elative ("alkaen torstaista
    kolmannesta joulukuuta kello kahdestatoista"), the others the plain date and time."""
    if lang != "fi":
        return when(dt_utc, lang)
    return f"{date(dt_utc, lang, 'elative')} {clock(to_local(dt_utc), lang, 'elative')}"


def duration(minutes: int, lang: str) -> str:
    """A length as said: "tunti", "puolitoista tuntia", "neljäkymmentäviisi minuuttia",
    "en och en halv timme", "an hour and a half"."""
    hours, mins = divmod(minutes, 60)
    if lang == "fi":
        if hours == 1 and mins == 30:
            return "puolitoista tuntia"
        h = "" if not hours else "tunti" if hours == 1 else f"{number(hours, lang)} tuntia"
        m = "" if not mins else "minuutti" if mins == 1 else f"{number(mins, lang)} minuuttia"
        return " ja ".join(p for p in (h, m) if p)
    if lang == "sv":
        if hours == 1 and mins == 30:
            return "en och en halv timme"
        h = "" if not hours else "en timme" if hours == 1 else f"{number(hours, lang)} timmar"
        m = "" if not mins else "en minut" if mins == 1 else f"{number(mins, lang)} minuter"
        return " och ".join(p for p in (h, m) if p)
    if hours == 1 and mins == 30:
        return "an hour and a half"
    h = "" if not hours else "one hour" if hours == 1 else f"{number(hours, lang)} hours"
    m = "" if not mins else "one minute" if mins == 1 else f"{number(mins, lang)} minutes"
    return " and ".join(p for p in (h, m) if p)


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
