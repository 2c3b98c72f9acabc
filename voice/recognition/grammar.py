"""What the recogniser may hear in a menu: a Vosk grammar built from the menu's ``Gather``.

The phrases are the menu's own speech hints (the same prompts data Twilio gets as ``hints``),
the words of the keys every menu has (repeat, a person, the main menu, slower and faster), and
the digits of the menu's keys as words in the *model's* language (num2words), so any model can
drive any menu by numbers. A phrase with a word the model does not know is left out: a Korean
model given a Finnish menu keeps only its own digit words. The grammar reaches Vosk as UTF-8
JSON (``ensure_ascii=False``).
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from ivr_flows import prompts
from ivr_flows.matching import normalise
from ivr_flows.reply import Gather

UNKNOWN = "[unk]"  # Vosk's "something else", where the model has it
RESERVED_WORDS = ("repeat", "person", "main_menu", "speed.slower", "speed.faster")
RESERVED_KEYS = ("0", "9")  # a person and the main menu, in every menu (DESIGN rule 2)

Known = Callable[[str], bool]  # does the model know this word?


@cache
def digit_words(lang: str) -> tuple[str, ...]:
    """The words for 0–9 in ``lang`` (a model's language code such as "ko" or "en-us");
    ``NotImplementedError`` when num2words has no such language."""
    from num2words import num2words

    code = lang.replace("-", "_")
    try:
        words = tuple(normalise(num2words(i, lang=code)) for i in range(10))
    except NotImplementedError:
        base = code.split("_")[0]
        if base == code:
            raise
        words = tuple(normalise(num2words(i, lang=base)) for i in range(10))
    return words


def vocabulary(model: Any) -> Known:
    """Whether a ``vosk.Model`` knows a word (asked once per word)."""
    seen: dict[str, bool] = {}

    def known(word: str) -> bool:
        if word not in seen:
            seen[word] = model.vosk_model_find_word(word) >= 0
        return seen[word]

    return known


def menu_keys(hints: Iterable[str], service_lang: str) -> list[str]:
    """The keys a menu offers, read from its hints (a menu's hints name its keys' number words;
    a number entry's hints are all ten), with the reserved 0 and 9; all ten when none is named."""
    said = {normalise(h) for h in hints}
    named = [str(i) for i, w in enumerate(prompts.raw(service_lang, "words.digits"))
             if normalise(w) in said]
    if not named:
        return [str(i) for i in range(10)]
    return sorted(set(named) | set(RESERVED_KEYS))


def menu_phrases(hints: Iterable[str], service_lang: str, model_lang: str,
                 known: Known) -> list[str]:
    """The grammar's phrases for a menu with these speech hints, in a fixed order."""
    hints = tuple(hints)
    words = [*hints, *(w for k in RESERVED_WORDS for w in prompts.words(service_lang, k))]
    digits = digit_words(model_lang)
    words += [digits[int(k)] for k in menu_keys(hints, service_lang)]
    phrases = [p for p in dict.fromkeys(normalise(w) for w in words)
               if p and all(known(part) for part in p.split())]
    if known(UNKNOWN):
        phrases.append(UNKNOWN)
    return phrases


def gather_phrases(gather: Gather, service_lang: str, model_lang: str, known: Known) -> list[str]:
    """The grammar for a flow's ``Reply.gather``."""
    return menu_phrases(gather.hints, service_lang, model_lang, known)


def grammar_json(phrases: Iterable[str]) -> str:
    return json.dumps(list(phrases), ensure_ascii=False)
