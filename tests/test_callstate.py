"""The state token (voice/callstate.py): what was said last travels as prompt numbers, comes
back exactly, and a token numbered by other prompts loses only ``last``."""
from __future__ import annotations

import json
from typing import Any

import pytest

from ivr_flows import prompts
from voice import callstate

MENU = [[text, "fi", 0.0, None] for text in prompts.all_fixed_prompts("fi")[:6]]
STATES: list[dict[str, Any]] = [
    {"call_id": 1, "caller_id": 6, "city": None, "fp": "nkacmlgnjlcniiem", "node": "item",
     "data": {"ids": [7, 2, 16], "i": 1, "g": "phone", "from": 0}, "noinput": 0, "nomatch": 0,
     "last": [["torstaina kolmantena joulukuuta kello kymmenen.", "fi", 0.7, None],
              ["Tuolijumppa puhelimessa.", "fi", 0.0, None], *MENU], "started": 1, "lang": "fi"},
    {"call_id": 2, "node": "language", "data": {}, "started": 1,  # no language yet: three
     "last": [[prompts.all_fixed_prompts(lang)[0], lang, 0.0, None] for lang in prompts.LANGUAGES]},
    {"call_id": 3, "node": "item", "lang": "sv", "data": {},
     "last": [["Ett svenskt ord.", "sv", 0.0, None], ["An English sentence.", "en", 0.0, None],
              ["A recording.", "sv", 0.0, "provider/12.mp3"], ["|Tiistaina", "fi", 0.7, None]]},
    {"call_id": 4, "node": "main_menu", "lang": "en", "last": []},
    {"call_id": 5, "node": "main_menu", "lang": "en"},
]


@pytest.mark.parametrize("state", STATES)
def test_a_state_comes_back_exactly(state: dict[str, Any]) -> None:
    token = callstate.pack(json.loads(json.dumps(state)))
    assert token is not None
    assert callstate.unpack(token, callstate.who(state)) == state


def test_fixed_sentences_travel_as_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    state = STATES[0]
    token = callstate.pack(state)
    raw = callstate._compact_last(state)
    monkeypatch.setattr(callstate, "_compact_last", lambda s: s)
    whole = callstate.pack(state)
    assert token is not None and whole is not None
    assert len(token) < 0.8 * len(whole)
    assert [s for s in raw["last"] if isinstance(s, int)] == list(range(6))
    assert raw["last"][1] == "Tuolijumppa puhelimessa."  # plain text in the call's language
    assert raw["last"][0] == state["last"][0]  # a pause before it: kept whole


def test_a_token_of_other_prompts_loses_only_what_was_said_last(
        monkeypatch: pytest.MonkeyPatch) -> None:
    token = callstate.pack(STATES[0])
    assert token is not None
    texts, index, _ = callstate._fixed()
    monkeypatch.setattr(callstate, "_fixed", lambda: (texts, index, "another"))
    state = callstate.unpack(token, callstate.who(STATES[0]))
    assert state is not None and "last" not in state
    assert state["node"] == "item" and state["data"] == STATES[0]["data"]


def test_a_number_past_the_list_loses_what_was_said_last() -> None:
    texts, _, version = callstate._fixed()
    raw = {"call_id": 9, "node": "main_menu", "lang": "fi", "pv": version, "last": [len(texts)]}
    state = callstate._expand_last(raw)
    assert "last" not in state and state["node"] == "main_menu"


def test_repeat_after_a_token_says_it_again(phone: Any) -> None:
    """Through the webhooks: * says again exactly what the token said was said last."""
    first = phone.call()
    again = phone.press("*")
    assert first.said and again.said == first.said
