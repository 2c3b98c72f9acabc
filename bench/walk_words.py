"""Words heard before the first choice, and the keys pressed, for the main tasks of a call, in
Finnish, Swedish and English (issue 10, "Done means"): the real app in-process on a temporary
SQLite database with the demo programme, signed webhooks like ``inproc.py``.

    .venv/bin/python bench/walk_words.py      # prints the README's Markdown table
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from common import BASE, TOKEN, app_config, prepare_database
from inproc import client_transport
from voice.simulator import SimulatedCall, Turn

CHOICE = {"fi": r"\bpaina (?:yksi|kaksi|kolme|neljä|nolla|yhdeksän)\b",
          "sv": r"\btryck (?:ett|två|tre|fyra|noll|nio)\b",
          "en": r"\bpress (?:one|two|three|four|zero|nine)\b"}
# (task, keys after the greeting); the demo caller Aino (+358912345678) has registrations.
TASKS = [
    ("the programme (its groups)", ["1"]),
    ("first programme item (phone performances)", ["1", "1"]),
    ("register for an item heard", ["1", "1", "3…"]),
    ("register another person (their read-back)", ["1", "1", "3…", "3", "0401234567#", "1"]),
    ("cancel a registration", ["3", "1"]),
    ("reach a person (closed: call back?)", ["0"]),
    ("back to the main menu", ["1", "9"]),
]
AINO = "+358912345678"
REGISTER_HERE = "3…"  # 3 (next) until an item offers registration, then its 2


def words_before_choice(text: str, lang: str) -> int:
    """Words before the sentence that holds the first choice ("…, paina yksi")."""
    m = re.search(CHOICE[lang], text)
    end = m.start() if m else len(text)
    start = max(text.rfind(". ", 0, end), text.rfind("? ", 0, end), text.rfind(": ", 0, end))
    return len(text[:start + 1].split()) if m and start >= 0 else (0 if m else len(text.split()))


def last_turn(app: Any, lang: str, keys: list[str]) -> Turn:
    """Aino's call in ``lang`` (her language is set so, as the language menu would keep it)."""
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from catalogue.models import Caller

    with Session(app.extensions["lampio_engine"]) as db:
        db.execute(update(Caller).where(Caller.phone == AINO).values(language=lang))
        db.commit()
    call = SimulatedCall(client_transport(app.test_client()), TOKEN, BASE, from_number=AINO)
    turn = call.call()
    for key in keys:
        if key == REGISTER_HERE:
            turn = _to_an_item_that_registers(call, turn, lang)
            key = "2"
        turn = call.press(key)
    return turn


def _to_an_item_that_registers(call: SimulatedCall, turn: Turn, lang: str) -> Turn:
    """3 (next) until the item offers 2 to register: the demo week's first phone items may be on
    now (2 takes part) or be full."""
    from ivr_flows import prompts

    offer = prompts.text(lang, "programme.register")
    for _ in range(20):
        if offer in turn.text:
            return turn
        turn = call.press("3")
    raise RuntimeError(f"no item offers registration in {lang}")


def main() -> None:
    import sys

    from app import create_app

    verbose = "-v" in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'walk.sqlite3'}"
        prepare_database(Path(tmp), url)
        config = app_config(Path(tmp), url)
        config["STAFF_PHONE_NUMBER"] = ""  # nobody in: the call-back question
        app = create_app(config)
        rows = []
        for task, keys in TASKS:
            turns = [last_turn(app, lang, keys) for lang in ("fi", "sv", "en")]
            counts = [words_before_choice(t.text, lang) for t, lang in zip(turns, ("fi", "sv", "en"))]
            if verbose:
                for t in turns:
                    print(" ", task, "|", t.text[:300])
            rows.append((task, " ".join(keys), counts))
        print("| task | keys after the greeting | words before the first choice fi / sv / en |")
        print("|---|---|---:|")
        for task, pressed, counts in rows:
            print(f"| {task} | {pressed} | {' / '.join(map(str, counts))} |")


if __name__ == "__main__":
    main()
