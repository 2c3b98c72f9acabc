"""Understanding an answer: a key, or words that name a choice (DESIGN rule 8).

One place for "key or speech": menus, the language choice and the provider line all ask
``chosen_key``, and typed numbers ending with ``#`` are read by ``typed_number``.

Words are matched tolerantly: filler words ("öö", "tota", "um", "jag vill": ``words.fillers``
in each language) are dropped first, and a word said matches a choice's word when the two are
the same or, both being four letters or more, have the same Snowball stem — so "ohjelmasta"
and "ohjelmaa" are "ohjelma", "registering" is "register". ``without_numbers`` is what the
speech log keeps of an answer.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from typing import Any

import snowballstemmer
from num2words import num2words

from . import prompts

STEMMERS = {"fi": "finnish", "sv": "swedish", "en": "english"}
STEM_FROM = 4  # shorter words ("ei", "en", "ja", "no") must be said exactly
_local = threading.local()  # a Snowball stemmer keeps state while it works: one per thread


def ascii_digits(text: str) -> bool:
    """Only 0-9: ``str.isdigit`` also accepts "²" or "٣", which ``int`` then refuses."""
    return bool(text) and text.isascii() and text.isdigit()


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text.lower())
    return re.sub(r"[^\w\s]", " ", text).strip()


@lru_cache(maxsize=65536)
def stem(lang: str, word: str) -> str:
    """The word's Snowball stem in ``lang``; a short word, or a language without a stemmer, is
    its own stem."""
    if len(word) < STEM_FROM or lang not in STEMMERS:
        return word
    stemmers: dict[str, Any] = _local.__dict__.setdefault("stemmers", {})
    if lang not in stemmers:
        stemmers[lang] = snowballstemmer.stemmer(STEMMERS[lang])
    return str(stemmers[lang].stemWord(word))


Said = tuple[tuple[str, str], ...]  # (word, stem) in the order said


def _said(lang: str, text: str) -> Said:
    return tuple((w, stem(lang, w)) for w in normalise(text).split())


@cache
def _fillers(lang: str) -> tuple[Said, ...]:
    """Filler words and phrases, longest first (``words.fillers``)."""
    found = {_said(lang, f) for f in prompts.words(lang, "fillers")}
    return tuple(sorted(found, key=len, reverse=True))


def _occurs(part: Said, said: Said) -> int:
    """Where ``part`` is said, word by word (the same word or, long enough, the same stem);
    -1 when it is not."""
    n = len(part)
    for i in range(len(said) - n + 1):
        if all(w == s[0] or (len(w) >= STEM_FROM and len(s[0]) >= STEM_FROM and st == s[1])
               for (w, st), s in zip(part, said[i:i + n])):
            return i
    return -1


def without_fillers(lang: str, said: Said) -> Said:
    for filler in _fillers(lang):
        while (i := _occurs(filler, said)) >= 0:
            said = said[:i] + said[i + len(filler):]
    return said


@lru_cache(maxsize=4096)
def _candidates(lang: str, key: str, words_key: str) -> tuple[Said, ...]:
    found = [_said(lang, w) for w in prompts.words(lang, words_key)]
    if ascii_digits(key):
        found += [_said(lang, prompts.raw(lang, "words.digits")[int(key)]), ((key, key),)]
    return tuple(w for w in found if w)


def match_speech(lang: str, speech: str, choices: Mapping[str, str]) -> str | None:
    """The key whose words (or the key's own number word) occur in what was said, fillers left
    out; when several do, the longest words win, so "next one" is next, not the key one (ties:
    the first key)."""
    said = without_fillers(lang, _said(lang, speech))
    best: tuple[int, str] | None = None
    for key, words_key in choices.items():
        for w in _candidates(lang, key, words_key):
            length = sum(len(word) for word, _ in w) + len(w) - 1
            if (best is None or length > best[0]) and _occurs(w, said) >= 0:
                best = (length, key)
    return best[1] if best else None


@cache
def _number_words(lang: str) -> frozenset[str]:
    """Every word of a number from 0 to 100, the hundreds and the thousands, and the digit
    words of the language's prompts."""
    numbers = list(range(101)) + list(range(200, 1000, 100)) + list(range(1000, 10000, 1000))
    words = {w for n in numbers for w in normalise(num2words(n, lang=lang)).split()}
    return frozenset(words | {normalise(w) for w in prompts.raw(lang, "words.digits")})


def without_numbers(langs: Iterable[str], speech: str) -> str:
    """What was said with every digit and every number word left out (a phone number or a code
    said aloud is personal, or useless for the hints): the speech log keeps only this."""
    numbers = frozenset().union(*(_number_words(lang) for lang in langs))
    kept = [w for w in normalise(speech).split()
            if w not in numbers and not any(ch.isdigit() for ch in w)]
    return " ".join(kept)[:200]


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
