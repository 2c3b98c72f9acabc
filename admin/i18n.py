"""The admin's words in data, one TOML file per language (``messages/<lang>.toml``).

Counts take their plural form from Babel's CLDR rules for the language (``tn``): a key with
forms is a small table, ``created = { one = "… {count} esitysaika.", other = "… {count}
esitysaikaa." }``, as gettext's ``ngettext`` would pick them. Finnish first: a missing key in Swedish or English falls back to Finnish, then to the key itself
(so a forgotten translation is visible, never a crash). The language is chosen by a switch and
kept in the Flask session.
"""
from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from flask import has_request_context, session

from catalogue.languages import LANGUAGES as LANGUAGES  # re-exported for the templates

LANGUAGE_NAMES = {"fi": "Suomeksi", "sv": "På svenska", "en": "In English"}
_DIR = Path(__file__).parent / "messages"


@cache
def _flat(lang: str) -> dict[str, str]:
    with open(_DIR / f"{lang}.toml", "rb") as fh:
        data = tomllib.load(fh)
    out: dict[str, str] = {}

    def walk(node: Any, prefix: str) -> None:
        for key, value in node.items():
            path = f"{prefix}{key}"
            if isinstance(value, dict):
                walk(value, path + ".")
            else:
                out[path] = str(value)

    walk(data, "")
    return out


def current_lang() -> str:
    if has_request_context():
        lang = session.get("admin_lang")
        if lang in LANGUAGES:
            return str(lang)
    return "fi"


def has(key: str, lang: str | None = None) -> bool:
    return key in _flat(lang or current_lang()) or key in _flat("fi")


def t(key: str, lang: str | None = None, **values: Any) -> str:
    """The text for ``key`` in the current language; ``{name}`` filled from ``values``."""
    lang = lang or current_lang()
    text = _flat(lang).get(key) or _flat("fi").get(key) or key
    return text.format(**values) if values else text


def keys(lang: str) -> set[str]:
    return set(_flat(lang))


def plural_form(lang: str, n: float) -> str:
    """The CLDR plural category of ``n`` in ``lang`` ("one", "other"; "few" and "many" in
    languages that have them)."""
    return str(Locale.parse(lang).plural_form(abs(n)))


def tn(key: str, n: int, lang: str | None = None, **values: Any) -> str:
    """The text for ``n`` of something: ``key.<form>`` for the language's plural form of ``n``,
    else ``key.other``; ``{count}`` is ``n``. A language without the key falls back to the
    Finnish forms (chosen by the Finnish rule), like ``t``."""
    lang = lang or current_lang()
    for source in (lang, "fi"):
        table = _flat(source)
        form = plural_form(source, n)
        text = table.get(f"{key}.{form}") or table.get(f"{key}.other")
        if text:
            return text.format(count=n, **values)
    return key
