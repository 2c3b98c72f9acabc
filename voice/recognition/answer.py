"""Recognised words as the answer the flows understand: the model's digit words become the keys
pressed; anything else is speech for ``ivr_flows.matching``, with the model's digit words
turned into the service language's, so "kolme seuraava" means the same from any model."""
from __future__ import annotations

from dataclasses import dataclass

from ivr_flows import prompts
from ivr_flows.matching import normalise

from .grammar import UNKNOWN, digit_words


@dataclass(frozen=True)
class Answer:
    """``digits`` as if pressed (a menu takes the first), else ``speech`` as if said."""

    digits: str = ""
    speech: str = ""

    @property
    def empty(self) -> bool:
        return not self.digits and not self.speech


def answer_of(text: str, model_lang: str, service_lang: str) -> Answer:
    words = [w for w in normalise(text).split() if w != normalise(UNKNOWN)]
    if not words:
        return Answer()
    number = {w: str(i) for i, w in enumerate(digit_words(model_lang))}
    if all(w in number for w in words):
        return Answer(digits="".join(number[w] for w in words))
    service = prompts.raw(service_lang, "words.digits")
    return Answer(speech=" ".join(service[int(number[w])] if w in number else w for w in words))
