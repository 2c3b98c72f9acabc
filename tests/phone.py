"""The simulated caller for tests: ``voice.simulator.SimulatedCall`` over Flask's test client."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, Protocol

from flask.testing import FlaskClient

from voice.simulator import SimulatedCall, Turn


class Phone(SimulatedCall):
    def __init__(self, client: FlaskClient, auth_token: str, base_url: str, **kwargs: Any) -> None:
        def transport(path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
            resp = client.post(path, data=form, headers=headers, base_url=base_url)
            return resp.status_code, resp.get_data(as_text=True)

        super().__init__(transport, auth_token, base_url, **kwargs)


class MakePhone(Protocol):
    """The ``make_phone`` fixture: a caller from another number, or to another line."""

    def __call__(self, from_number: str = ..., to: str = ...) -> Phone: ...


def gather_of(turn: Turn) -> ET.Element:
    """The turn's ``<Gather>`` (the test fails when there is none)."""
    assert turn.gather is not None, turn.body
    return turn.gather


def played(turn: Turn) -> list[str]:
    """The URLs the turn's ``<Play>`` verbs play, in order."""
    assert turn.root is not None, turn.body
    return [el.text or "" for el in turn.root.iter("Play")]
