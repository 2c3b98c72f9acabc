"""Dates, weekdays, times, lengths, prices and numbers in free text, said as words in the right
case in each language (issue 10, items 4's numbers)."""
from __future__ import annotations

from datetime import datetime

import pytest

from catalogue.timeutil import LOCAL_TZ, to_utc
from ivr_flows import speak
from ivr_flows.text_numbers import fi_case_of, say_numbers


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """December 2026 in Helsinki, as stored (naive UTC)."""
    return to_utc(datetime(2026, 12, day, hour, minute, tzinfo=LOCAL_TZ))


SUNDAY_6_18 = local(6, 18)
THURSDAY_3_0705 = local(3, 7, 5)


@pytest.mark.parametrize("lang, expected", [
    ("fi", "torstaina kolmantena joulukuuta kello seitsemän nolla viisi"),
    ("sv", "torsdag den tredje december klockan sju noll fem"),
    ("en", "Thursday, the third of December, at seven oh five in the morning"),
])
def test_when_with_minutes_in_one_form_per_language(lang: str, expected: str) -> None:
    assert speak.when(THURSDAY_3_0705, lang) == expected
    assert "seitsemän viisi" not in speak.when(THURSDAY_3_0705, lang)  # the old, wrong form


@pytest.mark.parametrize("lang, expected", [
    ("fi", "sunnuntaihin kuudenteen joulukuuta kello kahdeksaantoista asti"),
    ("sv", "till söndag den sjätte december klockan arton"),
    ("en", "until Sunday, the sixth of December, at six in the evening"),
])
def test_until_takes_the_illative_in_finnish(lang: str, expected: str) -> None:
    assert speak.until(SUNDAY_6_18, lang) == expected


def test_finnish_weekdays_in_three_cases() -> None:
    monday = datetime(2026, 11, 30)
    friday = datetime(2026, 12, 4)
    assert speak.weekday(monday, "fi") == "maanantaina"
    assert speak.weekday(monday, "fi", "elative") == "maanantaista"
    assert speak.weekday(friday, "fi", "illative") == "perjantaihin"
    assert speak.weekday(datetime(2026, 12, 2), "fi", "illative") == "keskiviikkoon"


def test_clock_in_cases_for_spans() -> None:
    assert speak.clock_short(9, 0, "fi", "elative") == "yhdeksästä"
    assert speak.clock_short(15, 0, "fi", "illative") == "viiteentoista"
    assert speak.clock_short(14, 30, "fi") == "neljätoista kolmekymmentä"
    assert speak.clock_short(14, 30, "sv") == "fjorton trettio"
    assert speak.clock_short(14, 30, "en") == "two thirty in the afternoon"


@pytest.mark.parametrize("minutes, fi, sv, en", [
    (60, "tunti", "en timme", "one hour"),
    (90, "puolitoista tuntia", "en och en halv timme", "an hour and a half"),
    (45, "neljäkymmentäviisi minuuttia", "förtiofem minuter", "forty-five minutes"),
    (120, "kaksi tuntia", "två timmar", "two hours"),
    (75, "tunti ja viisitoista minuuttia", "en timme och femton minuter",
     "one hour and fifteen minutes"),
])
def test_durations(minutes: int, fi: str, sv: str, en: str) -> None:
    assert (speak.duration(minutes, "fi"), speak.duration(minutes, "sv"),
            speak.duration(minutes, "en")) == (fi, sv, en)


@pytest.mark.parametrize("text, lang, expected", [
    ("5 euroa", "fi", "viisi euroa"),
    ("12,50 euroa", "fi", "kaksitoista pilkku viisi nolla euroa"),
    ("5 euro", "sv", "fem euro"),
    ("5 euros", "en", "five euros"),
    ("Maksuton", "fi", "Maksuton"),
])
def test_prices(text: str, lang: str, expected: str) -> None:
    assert say_numbers(text, lang) == expected


@pytest.mark.parametrize("text, lang, expected", [
    ("Salomonkatu 21 B", "fi", "Salomonkatu kaksikymmentäyksi B"),
    ("noin 40 minuuttia", "fi", "noin neljäkymmentä minuuttia"),
    ("ohjaa 45 minuutin tuolijumpan", "fi", "ohjaa neljänkymmenenviiden minuutin tuolijumpan"),
    ("valmis 5 minuutissa", "fi", "valmis viidessä minuutissa"),
    ("tapaavat 1950-luvulla", "fi", "tapaavat tuhatyhdeksänsataaviisikymmentäluvulla"),
    ("klo 14.30 alkaen", "fi", "kello neljätoista kolmekymmentä alkaen"),
    ("kl. 14.30", "sv", "klockan fjorton trettio"),
    ("liput 1 200 euroa", "fi", "liput tuhat kaksisataa euroa"),
    ("noin 12\u00a0500 kävijää", "fi", "noin kaksitoistatuhatta viisisataa kävijää"),
    ("biljetter 1 000 euro", "sv", "biljetter ettusen euro"),
    ("tickets 1,200 euros", "en", "tickets one thousand two hundred euros"),
    ("2,5 tuntia", "fi", "kaksi pilkku viisi tuntia"),
    ("3. joulukuuta", "fi", "kolmas joulukuuta"),
    ("ett 45 minuter långt pass", "sv", "ett förtiofem minuter långt pass"),
    ("i början av 1900-talet", "sv", "i början av nittonhundratalet"),
    ("a 45-minute chair session", "en", "a forty-five-minute chair session"),
    ("in the 1950s", "en", "in the nineteen fifties"),
    ("in the early 1900s", "en", "in the early nineteen hundreds"),
])
def test_numbers_in_free_text(text: str, lang: str, expected: str) -> None:
    assert say_numbers(text, lang) == expected


def test_finnish_case_from_the_next_word() -> None:
    assert fi_case_of("minuutin") == "genitive"
    assert fi_case_of("minuuttia") == "nominative"
    assert fi_case_of("euroa") == "nominative"
    assert fi_case_of("tunnissa") == "inessive"
    assert fi_case_of("B") == "nominative"


def test_since_takes_the_elative_in_finnish() -> None:
    noon = local(3, 12)
    assert speak.since(noon, "fi") == "torstaista kolmannesta joulukuuta kello kahdestatoista"
    assert speak.since(noon, "sv") == speak.when(noon, "sv")
