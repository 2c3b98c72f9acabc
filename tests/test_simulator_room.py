"""``lampio call`` in a live room: the simulator prints the welcome and that the caller is in the
room, ``*`` goes to the hangupOnStar action (the small menu), and the room's end brings the
caller back to the flow."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests import factories as f
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.phone import Phone
from voice.simulator_cli import ScriptInputs, parse_script, run_call


def test_a_scripted_call_takes_part_raises_a_hand_and_hears_the_end(client: Any, db: Any) -> None:
    f.session(db, f.event(db, title="Laulutuokio"), starts_in=timedelta(minutes=5))
    db.commit()
    phone = Phone(client, AUTH_TOKEN, PUBLIC_BASE_URL, from_number="+358912340001")
    script = ScriptInputs(parse_script("2, 1, *, 1, silence, hangup"))
    result = run_call(phone, script, lang="fi")
    text = result.text
    assert "Tervetuloa: Laulutuokio." in text and "Jos haluat kysyä, paina tähteä." in text
    assert "[in the room: waiting music]" in text
    assert "⌨  *" in text and "Jos haluat nostaa käden, paina yksi." in text
    assert "Kätesi on nostettu." in text and "Olet taas mukana esityksessä." in text
    assert "[the performance ends]" in text and "Esitys päättyi." in text
    assert result.ended_by == "caller"
