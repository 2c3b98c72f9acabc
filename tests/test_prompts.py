"""Prompts are data per language: every language has every prompt, with the same placeholders,
and the wording rule of DESIGN.md (take part, never join)."""
from __future__ import annotations

import re
import string
from typing import Any

import pytest

from ivr_flows import prompts


def flat(node: Any, path: str = "") -> dict[str, Any]:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for k, v in node.items():
            out.update(flat(v, f"{path}.{k}" if path else k))
        return out
    return {path: node}


def fields(value: Any) -> set[str]:
    lines = [value] if isinstance(value, str) else value
    return {f for line in lines for _, f, _, _ in string.Formatter().parse(line) if f}


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_prompt_exists_in_every_language_with_the_same_placeholders(lang: str) -> None:
    fi, other = flat(prompts.catalogue("fi")), flat(prompts.catalogue(lang))
    assert set(fi) == set(other), set(fi) ^ set(other)
    for key, value in fi.items():
        if not key.startswith("words"):
            assert fields(value) == fields(other[key]), key


@pytest.mark.parametrize("lang,forbidden", [("fi", r"\bliit(y|ty)"), ("sv", r"\bgå med\b"),
                                            ("en", r"\bjoin")])
def test_take_part_never_join(lang: str, forbidden: str) -> None:
    text = " ".join(str(v) for k, v in flat(prompts.catalogue(lang)).items())
    assert not re.search(forbidden, text, re.IGNORECASE)

