"""What the benchmark parts share: the token, the databases, the walks callers make, and a
transport wrapper that times every turn under a label.

A walk is a list of (key, label) steps after the call is answered. Callers only ever follow the
action URLs the TwiML gives them (``voice.simulator.SimulatedCall``), so a turn URL that carries
the call's state in its query string (``/voice/turn?s=…``) works as well as a bare one.
"""
from __future__ import annotations

import math
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from voice.simulator import SimulatedCall, Transport, Turn  # noqa: E402

TOKEN = "bench-auth-token-0123456789abcdef"
BASE = "https://bench.example.test"  # the public base URL in-process apps sign against
FALLBACK_MARK = "/voice/fallback"  # the apology TwiML sends keys here: a flow failed

Walk = tuple[tuple[str, str], ...]
# call → 1 (Finnish, a new caller) → 1 (this week's programme: its groups) → 4 (everything) →
# 3 next → 3 next → 1 more → 4 previous → hang up (the status callback is a turn too).
PROGRAMME_WALK: Walk = (("1", "language"), ("1", "programme"), ("4", "group"), ("3", "next"),
                        ("3", "next"), ("1", "more"), ("4", "previous"))
# The same walk by people who called before and chose Finnish (most of the line's calls are
# theirs): the greeting leads straight to the main menu (``known_people``).
KNOWN_WALK: Walk = PROGRAMME_WALK[1:]
PROGRAMME_KEY = "next"  # "a programme turn": the 3 (next) inside the programme
CONFIRM_KEY = "confirm"  # "registration confirm": the 1 after the read-back


def registration_walk(skip: int) -> Walk:
    """call → 1 → 1 → 4 (everything) → (3 next × ``skip``) → 2 register → 1 confirm → hang up."""
    return (("1", "language"), ("1", "programme"), ("4", "group"), *((("3", "next"),) * skip),
            ("2", "register"), ("1", CONFIRM_KEY))


def phone_number(round_no: int, index: int, n: int) -> str:
    """A valid Finnish mobile number of its own for every call of a run (round < 100, caller
    < 10,000, call < 100), so registrations never collide: +35840RRIIIINN."""
    assert 0 <= round_no < 100 and 0 <= index < 10_000 and 0 <= n < 100, (round_no, index, n)
    return f"+35840{round_no:02d}{index:04d}{n:02d}"


class Recorder:
    """Wraps a transport: every request's time goes into ``latencies[label]``; failed turns
    (≥ 400, an exception, or the apology TwiML) are counted."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.label = "call"
        self.latencies: dict[str, list[float]] = {}
        self.ended: list[float] = []  # when each turn's answer came (time.time())
        self.turns = 0
        self.errors = 0
        self.reasons: Counter[str] = Counter()  # why turns failed

    def __call__(self, path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        started = time.perf_counter()
        try:
            status, body = self.transport(path, form, headers)
        except Exception as exc:
            self._note(time.perf_counter() - started, f"{type(exc).__name__} in the client")
            raise
        failed = (f"HTTP {status}" if status >= 400 else
                  "apology TwiML" if FALLBACK_MARK in body else None)
        self._note(time.perf_counter() - started, failed)
        return status, body

    def _note(self, seconds: float, failed: str | None) -> None:
        self.latencies.setdefault(self.label, []).append(seconds)
        self.ended.append(time.time())
        self.turns += 1
        if failed:
            self.errors += 1
            self.reasons[f"{failed} ({self.label})"] += 1


def walk(call: SimulatedCall, steps: Walk, rec: Recorder | None = None,
         pause: Callable[[], None] | None = None) -> Turn:
    """One whole call: answer, the keys (stopping early if nothing waits for keys or a turn
    failed), hang up. Returns the last answer before the hang-up."""
    def label(name: str) -> None:
        if rec is not None:
            rec.label = name

    label("call")
    turn = call.call()
    for key, name in steps:
        if not call.next_action or turn.status >= 400 or FALLBACK_MARK in turn.body:
            break
        if pause is not None:
            pause()
        label(name)
        turn = call.press(key)
    label("hang up")
    call.hang_up()
    return turn


def find_registration_walk(make_call: Callable[[str], SimulatedCall], tries: int = 12) -> Walk:
    """The first programme item (in Finnish) whose 2 leads to a read-back that asks for 1 to
    confirm: recordings need no registration, so the demo programme's first items don't. Each
    probe hangs up at the read-back, which writes nothing."""
    from ivr_flows import prompts

    marks = [prompts.text("fi", "register.confirm"), prompts.text("fi", "register.confirm_waiting")]
    for skip in range(tries):
        call = make_call(phone_number(98, skip, 0))
        steps = registration_walk(skip)[:-1]
        if any(m in walk(call, steps).text for m in marks):
            return registration_walk(skip)
    raise RuntimeError(f"none of the first {tries} programme items offers registration")


# -- databases -------------------------------------------------------------------------------

@contextmanager
def database(tmp: Path, server_url: str | None) -> Iterator[str]:
    """A fresh SQLite file in ``tmp``, or with ``server_url`` a PostgreSQL database of its own."""
    from catalogue.db import private_database

    tmp.mkdir(parents=True, exist_ok=True)
    with private_database(server_url or f"sqlite:///{tmp / 'bench.sqlite3'}") as url:
        yield url


def app_config(tmp: Path, url: str) -> dict[str, Any]:
    """An app as the bench runs it in-process: no scheduler, signature checks on."""
    return {"DATABASE_URL": url, "DEMO_DATA": True, "SCHEDULER": False, "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_SKIP_SIGNATURE": False, "PUBLIC_BASE_URL": BASE,
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "SERVICE_PHONE_NUMBER": "+358942000000",
            "AUDIO_DIR": str(tmp / "audio"),
            "SECRET_KEY": "bench-secret-key", "TTS_ENGINES": "espeak"}


def prepare_database(tmp: Path, url: str) -> None:
    """The schema and the demo programme."""
    from app import create_app
    from catalogue.setup import prepare_database as prepare

    app = create_app(app_config(tmp, url))
    prepare(app)
    app.extensions["lampio_engine"].dispose()


def known_people(tmp: Path, url: str, round_no: int, count: int) -> None:
    """People for the numbers of callers 0 … ``count`` - 1 of a round (``phone_number``'s call
    0; a known caller calls from it again and again), with Finnish chosen: ``KNOWN_WALK``."""
    from app import create_app
    from catalogue.db import get_sessionmaker
    from catalogue.models import Caller

    app = create_app(app_config(tmp, url))
    with get_sessionmaker(app)() as db:
        db.add_all(Caller(phone=phone_number(round_no, i, 0), language="fi")
                   for i in range(count))
        db.commit()
    app.extensions["lampio_engine"].dispose()


def check_known(make_call: Callable[[str], SimulatedCall], tmp: Path, url: str) -> None:
    """Fails unless a known person's call reaches the main menu at once, where ``KNOWN_WALK``
    begins (else its keys would walk somewhere else unnoticed)."""
    from ivr_flows import prompts

    known_people(tmp, url, 97, 1)
    if prompts.text("fi", "main.intro") not in walk(make_call(phone_number(97, 0, 0)), ()).text:
        raise RuntimeError("a known caller's call does not reach the main menu at once")


def kind(url: str) -> str:
    return url.split(":", 1)[0].split("+", 1)[0]


# -- figures ---------------------------------------------------------------------------------

def pct(values: list[float], p: float) -> float:
    """The p-th percentile in ms (nearest rank), nan for no values."""
    if not values:
        return math.nan
    data = sorted(values)
    return data[min(len(data) - 1, max(0, math.ceil(p / 100 * len(data)) - 1))] * 1000


def ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(b) else math.nan


def error_lines(log: Path, limit: int = 6) -> list[str]:
    """The distinct exception lines of a server log, most frequent first (printed before the
    temp dir with the log is removed)."""
    seen: Counter[str] = Counter()
    for line in log.read_text(errors="replace").splitlines():
        if re.match(r"[A-Za-z_][\w.]*[A-Z][\w.]*: ", line):  # a traceback's last line
            seen[line.strip()[:160]] += 1
    return [f"  {n:>5} × {line}" for line, n in seen.most_common(limit)]


def rss_kib(pid: int | str = "self") -> int:
    """VmRSS of a process in KiB (Linux)."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0
