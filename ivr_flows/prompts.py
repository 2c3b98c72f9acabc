"""Prompts live in data, one TOML file per language (``ivr_flows/prompts/<lang>.toml``).

A prompt is a list of sentences; a sentence starting with ``|`` is preceded by a pause, which
DESIGN rule 4 asks for before dates, times and codes. ``{name}`` placeholders are filled with
``str.format``.
"""
from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from catalogue.languages import LANGUAGES as LANGUAGES  # one list; flows say prompts.LANGUAGES

from .reply import Segment

PAUSE_SECONDS = 0.7
_DIR = Path(__file__).parent / "prompts"


@cache
def catalogue(lang: str) -> dict[str, Any]:
    with open(_DIR / f"{lang}.toml", "rb") as fh:
        return tomllib.load(fh)


def raw(lang: str, key: str) -> Any:
    node: Any = catalogue(lang)
    for part in key.split("."):
        node = node[part]
    return node


@cache
def words(lang: str, key: str) -> tuple[str, ...]:
    """Spoken alternatives for a key (``words.<key>`` in the language file)."""
    return tuple(raw(lang, f"words.{key}"))


def segments(lang: str, key: str, **values: Any) -> list[Segment]:
    if not values:  # a fixed prompt: the same sentences every time (most of a call's)
        return list(_fixed_segments(lang, key))
    return _segments(lang, key, values)


@cache
def _fixed_segments(lang: str, key: str) -> tuple[Segment, ...]:
    return tuple(_segments(lang, key, {}))


def _segments(lang: str, key: str, values: dict[str, Any]) -> list[Segment]:
    value = raw(lang, key)
    lines = [value] if isinstance(value, str) else list(value)
    out: list[Segment] = []
    for line in lines:
        pause = PAUSE_SECONDS if line.startswith("|") else 0.0
        text = line.lstrip("|").strip().format(**values)
        if text:
            out.append(Segment(text=text, lang=lang, pause=pause))
    return out


def text(lang: str, key: str, **values: Any) -> str:
    return " ".join(s.text for s in segments(lang, key, **values))


def all_fixed_prompts(lang: str) -> list[str]:
    """Every prompt sentence without placeholders, for pre-rendering audio."""
    found: list[str] = []

    def walk(node: Any, path: str) -> None:
        if path.startswith("words"):
            return
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else k)
        elif isinstance(node, list):
            for item in node:
                walk(item, path)
        elif isinstance(node, str) and "{" not in node:
            found.append(node.lstrip("|").strip())

    walk(catalogue(lang), "")
    return [t for t in dict.fromkeys(found) if t]
