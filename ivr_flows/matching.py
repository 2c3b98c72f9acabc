"""Understanding an answer: a key, or words that name a choice (DESIGN rule 8).

One place for "key or speech": menus, the language choice and the provider line all ask
``chosen_key``, and typed numbers ending with ``#`` are read by ``typed_number``.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache

from . import prompts


def ascii_digits(text: str) -> bool:
    """Only 0-9: ``str.isdigit`` also accepts "²" or "٣", which ``int`` then refuses."""
    return bool(text) and text.isascii() and text.isdigit()


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text.lower())
    return re.sub(r"[^\w\s]", " ", text).strip()


@lru_cache(maxsize=4096)
def _candidates(lang: str, key: str, words_key: str) -> tuple[str, ...]:
    found = [normalise(w) for w in prompts.words(lang, words_key)]
    if ascii_digits(key):
        found += [normalise(prompts.raw(lang, "words.digits")[int(key)]), key]
    return tuple(found)


def match_speech(lang: str, speech: str, choices: Mapping[str, str]) -> str | None:
    """The key whose words (or the key's own number word) occur in what was said; when several
    do, the longest words win, so "next one" is next, not the key one (ties: the first key)."""
    said = normalise(speech)
    tokens = set(said.split())
    best: tuple[int, str] | None = None
    for key, words_key in choices.items():
        for w in _candidates(lang, key, words_key):
            if ((" " in w and f" {w} " in f" {said} ") or w in tokens) and (
                    best is None or len(w) > best[0]):
                best = (len(w), key)
    return best[1] if best else None


def chosen_key(digits: str, speech: str, choices: Mapping[str, str],
               langs: Iterable[str]) -> str | None:
    """The first key pressed, or else the key whose words were said in one of ``langs``."""
    if digits:
        return digits[:1]
    if not speech:
        return None
    for lang in langs:
        key = match_speech(lang, speech, choices)
        if key is not None:
            return key
    return None


def typed_number(digits: str, speech: str, lang: str) -> str | None:
    """A number typed and ended with ``#``, or spoken digit by digit; None when it is not one."""
    from .speak import spoken_digits

    typed = digits.rstrip("#") if digits else spoken_digits(speech, lang)
    return typed if ascii_digits(typed) else None
