"""The admin's one way of writing dates, counts and phone numbers: Babel's patterns per
language, CLDR plural forms from the messages, national phone numbers, whole-number chart
ticks."""
from __future__ import annotations

import re
from datetime import date, datetime
from xml.etree import ElementTree as ET

import pytest
from babel import Locale

from admin import charts, formats, i18n
from admin.i18n import LANGUAGES, keys, tn
from catalogue.callers import written

# 14.05 in Helsinki on Thursday 3 December 2026 (winter: UTC+2), stored as naive UTC.
STORED = datetime(2026, 12, 3, 12, 5)
ENDS = datetime(2026, 12, 3, 13, 35)


@pytest.mark.parametrize(("lang", "expected"), [
    ("fi", "to 3.12.2026 14.05"),
    ("sv", "tors, 2026-12-03 14:05"),
    ("en", "Thu, 12/3/2026, 14:05"),
])
def test_a_stored_time_is_written_in_helsinki_time_in_each_language(lang: str,
                                                                    expected: str) -> None:
    assert formats.local_dt(STORED, lang=lang) == expected


def test_every_form_of_a_date_uses_the_same_patterns() -> None:
    assert formats.local_dt(STORED, "time", "fi") == "14.05"
    assert formats.local_dt(STORED, "time", "en") == "14:05"  # the 24-hour clock everywhere
    assert formats.local_dt(STORED, "short", "fi") == "to 3.12. 14.05"
    assert formats.local_dt(date(2026, 12, 3), "daymonth", "fi") == "3.12."
    assert formats.local_dt(date(2026, 12, 3), "numeric", "fi") == "3.12.2026"
    assert formats.local_dt(date(2026, 12, 3), "date", "sv") == "tors, 2026-12-03"
    # summer time: 12.05 UTC is 15.05 in Helsinki in July
    assert formats.local_dt(datetime(2026, 7, 2, 12, 5), "time", "fi") == "15.05"
    assert formats.local_dt(None) == "–"


def test_a_span_on_one_day_names_the_day_once() -> None:
    assert formats.local_span(STORED, ENDS, "fi") == "to 3.12.2026 14.05–15.35"
    assert formats.local_span(STORED, datetime(2026, 12, 17, 13, 35), "en") == (
        "Thu, 12/3/2026, 14:05 – Thu, 12/17/2026, 15:35")


def test_every_form_is_a_pattern_babel_knows_in_every_language() -> None:
    for lang in LANGUAGES:
        for form in (*formats.SKELETONS, *formats.DATETIME_FORMS):
            text = formats.local_dt(STORED, form, lang)
            assert re.search(r"\d", text) and "{" not in text, (lang, form, text)


@pytest.mark.parametrize(("lang", "one", "many"), [
    ("fi", "Lisättiin 1 esitysaika.", "Lisättiin 4 esitysaikaa."),
    ("sv", "1 föreställning lades till.", "4 föreställningar lades till."),
    ("en", "1 session was added.", "4 sessions were added."),
])
def test_counts_take_their_plural_form(lang: str, one: str, many: str) -> None:
    assert tn("session.created", 1, lang) == one
    assert tn("session.created", 4, lang) == many
    assert tn("session.created", 0, lang) == many.replace("4", "0")


def test_every_plural_message_has_every_form_its_language_needs() -> None:
    for lang in LANGUAGES:
        needed = Locale.parse(lang).plural_form.tags | {"other"}
        tables: dict[str, set[str]] = {}
        for key in keys(lang):
            base, _, form = key.rpartition(".")
            if form in {"zero", "one", "two", "few", "many", "other"}:
                tables.setdefault(base, set()).add(form)
        tables = {base: forms for base, forms in tables.items() if len(forms) > 1}
        assert "session.created" in tables, lang  # ("category.other" is a word, not a form)
        for base, forms in tables.items():
            assert needed <= forms, (lang, base, needed - forms)
            assert base in {k.rpartition(".")[0] for k in keys("fi")}, (lang, base)


def test_a_language_missing_a_plural_falls_back_to_finnish(monkeypatch: pytest.MonkeyPatch) -> None:
    real = i18n._flat

    def without(lang: str) -> dict[str, str]:
        table = dict(real(lang))
        if lang == "sv":
            table = {k: v for k, v in table.items() if not k.startswith("session.created.")}
        return table

    monkeypatch.setattr(i18n, "_flat", without)
    assert tn("session.created", 1, "sv") == "Lisättiin 1 esitysaika."
    assert tn("no.such.key", 2, "sv") == "no.such.key"


@pytest.mark.parametrize(("e164", "shown"), [
    ("+358401234567", "040 1234567"),
    ("+358942000000", "09 42000000"),
    ("+46812345678", "+46 8 123 456 78"),
    ("not a number", "not a number"),
])
def test_phone_numbers_are_written_nationally(e164: str, shown: str) -> None:
    assert written(e164) == shown
    assert formats.phone(None) == "–"


def test_counts_are_written_as_the_language_writes_them() -> None:
    assert formats.number(10000, "fi") == "10\xa0000"
    assert formats.number(10000, "en") == "10,000"


@pytest.mark.parametrize(("top", "axis", "step"), [
    (0, 1, 1), (3, 3, 1), (5, 5, 1), (7, 8, 2), (23, 25, 5), (60, 60, 20), (999, 1000, 200)])
def test_chart_ticks_are_whole_numbers(top: int, axis: int, step: int) -> None:
    assert charts._scale([top]) == (axis, step)


def test_a_column_chart_has_whole_ticks_localised_labels_and_readable_text() -> None:
    svg = charts.column_chart(["1.12.", "2.12."], [5, 12000], title="Puhelut", desc="Päivittäin")
    root = ET.fromstring(str(svg))
    ns = "{http://www.w3.org/2000/svg}"
    texts = [el.text or "" for el in root.iter(f"{ns}text")]
    ticks = [t for t in texts if t and t[0].isdigit() and "." not in t]
    assert ticks and all(re.fullmatch(r"[\d\xa0]+", t) for t in ticks), ticks
    assert "12\xa0000" in texts  # fi is the default outside a request
    sizes = {float(el.get("font-size", "0")) for el in root.iter(f"{ns}text")}
    assert min(sizes) >= 12
    assert root.get("width") == root.get("viewBox", "").split()[2]  # drawn at its own size
