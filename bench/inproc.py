"""In-process turn cost: one process, Flask's test client (no HTTP, no gunicorn), the real app on
a temp database with the demo programme, requests signed as Twilio signs them.

Calls are interleaved — minimal endpoint, programme walk, registration walk, the programme walk
on a second app with no answers kept (``TURN_MEMO_SIZE=0``), minimal, … — so the
floor (``minimal_app.py`` through its own test client) is measured in the same run under the
same noise. SQL statements are counted with a ``before_cursor_execute`` listener on the app's
engine (on SQLite that includes the ``BEGIN IMMEDIATE`` each webhook starts with).
"""
from __future__ import annotations

import argparse
import statistics
from pathlib import Path
from typing import Any

from sqlalchemy import event

from common import (BASE, CONFIRM_KEY, KNOWN_WALK, PROGRAMME_KEY, PROGRAMME_WALK, TOKEN, Recorder,
                    Walk, app_config, check_known, find_registration_walk, kind, known_people, pct,
                    phone_number, prepare_database, ratio, walk)
from voice.simulator import SimulatedCall, Transport


def client_transport(client: Any, base_url: str = BASE) -> Transport:
    def transport(path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        resp = client.post(path, data=form, headers=headers, base_url=base_url)
        return resp.status_code, resp.get_data(as_text=True)

    return transport


class StatementCounter:
    """Statements per labelled turn: the recorder's current label says which turn runs."""

    def __init__(self, engine: Any, rec: Recorder) -> None:
        self.rec = rec
        self.counts: dict[str, list[int]] = {}
        self.current = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: Any) -> None:
        self.current += 1

    def wrap(self, transport: Transport) -> Transport:
        def counted(path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
            self.current = 0
            try:
                return transport(path, form, headers)
            finally:
                self.counts.setdefault(self.rec.label, []).append(self.current)

        return counted


class Caller:
    """Makes calls of one walk through one test client, timing (and counting) every turn."""

    def __init__(self, name: str, client: Any, steps: Walk, round_no: int,
                 engine: Any | None = None, again: int = 0) -> None:
        """``again``: so many callers' numbers called again and again (``known_people``); 0: a
        new number for every call."""
        self.name, self.steps, self.round_no, self.n = name, steps, round_no, 0
        self.again = again
        self.rec = Recorder(client_transport(client))
        self.sql = StatementCounter(engine, self.rec) if engine is not None else None
        self.transport = self.sql.wrap(self.rec) if self.sql else self.rec

    def call(self) -> None:
        number = (phone_number(self.round_no, self.n % self.again, 0) if self.again else
                  phone_number(self.round_no, self.n // 100, self.n % 100))
        self.n += 1
        walk(SimulatedCall(self.transport, TOKEN, BASE, from_number=number), self.steps, self.rec)

    def reset(self) -> None:
        self.rec.latencies.clear()
        self.rec.ended.clear()
        self.rec.turns = self.rec.errors = 0
        if self.sql:
            self.sql.counts.clear()

    def turn_times(self) -> list[float]:
        return [v for values in self.rec.latencies.values() for v in values]

    def statements(self) -> list[int]:
        return [v for values in (self.sql.counts.values() if self.sql else ()) for v in values]


KNOWN = 50  # the known callers' numbers, each called again and again


class RoomCallbacks:
    """The conference status callbacks of one listener (join, then leave) for a live phone
    session of the demo programme, signed as Twilio signs them: issue 9 asks what one costs
    next to a programme turn."""

    def __init__(self, app: Any, client: Any) -> None:
        from sqlalchemy import select

        from catalogue.db import get_sessionmaker
        from catalogue.models import Session, SessionKind

        with get_sessionmaker(app)() as db:
            self.session_id = db.scalar(select(Session.id).where(Session.kind == SessionKind.PHONE)
                                        .order_by(Session.starts_at).limit(1))
        self.rec = Recorder(client_transport(client))
        self.rec.label = "room status callback"
        self.n = 0

    def call(self) -> None:
        self.n += 1
        sim = SimulatedCall(self.rec, TOKEN, BASE)
        url = f"/voice/room/events?session={self.session_id}"
        for name in ("participant-join", "participant-leave"):
            sim.callback(url, {"ConferenceSid": "CF" + f"{self.n:032x}",
                               "FriendlyName": f"lampio-session-{self.session_id}",
                               "StatusCallbackEvent": name, "CallSid": sim.call_sid,
                               "Muted": "true", "Hold": "false"})

    def reset(self) -> None:
        self.rec.latencies.clear()
        self.rec.turns = self.rec.errors = 0

    def times(self) -> list[float]:
        return self.rec.latencies.get("room status callback", [])


def _line(name: str, values: list[float], floor: float, sql: list[int] | None = None) -> str:
    mean = statistics.fmean(values) * 1000 if values else float("nan")
    sql_text = f"{statistics.fmean(sql):>7.1f}" if sql else f"{'':>7}"
    return (f"  {name:<28} {len(values):>6} {mean:>8.2f} {pct(values, 50):>8.2f} "
            f"{pct(values, 99):>8.2f} {ratio(mean, floor):>8.1f} {sql_text}")


def add_arguments(ap: argparse.ArgumentParser) -> None:
    g = ap.add_argument_group("in-process turn cost (--inproc)")
    g.add_argument("--inproc-calls", type=int, default=300,
                   help="calls of each walk, after the warm-up (300)")
    g.add_argument("--warmup", type=int, default=20, help="warm-up calls of each walk (20)")


def run(args: argparse.Namespace, tmp: Path, url: str) -> None:
    from app import create_app

    import minimal_app

    print(f"== in-process turn cost on {kind(url)}: preparing the demo programme …", flush=True)
    prepare_database(tmp, url)
    app = create_app(app_config(tmp, url))
    engine = app.extensions["lampio_engine"]
    client = app.test_client()
    # The same service with no reading turn's answer kept (TURN_MEMO_SIZE=0): every turn worked
    # out, as when callers are all at different places.
    cold = create_app({**app_config(tmp, url), "TURN_MEMO_SIZE": 0})
    reg = find_registration_walk(lambda number: SimulatedCall(
        client_transport(client), TOKEN, BASE, from_number=number))
    callers = [Caller("minimal", minimal_app.app.test_client(), PROGRAMME_WALK, 1),
               Caller("programme", client, PROGRAMME_WALK, 2, engine),
               Caller("registration", client, reg, 3, engine),
               Caller("programme, memo off", cold.test_client(), PROGRAMME_WALK, 4,
                      cold.extensions["lampio_engine"]),
               Caller("programme, known callers", client, KNOWN_WALK, 5, engine, KNOWN)]
    minimal, prog, regc, prog_cold, known = callers
    known_people(tmp, url, 5, KNOWN)
    check_known(lambda number: SimulatedCall(client_transport(client), TOKEN, BASE,
                                             from_number=number), tmp, url)
    room = RoomCallbacks(app, client)
    everyone: list[Caller | RoomCallbacks] = [*callers, room]
    for c in everyone:
        c.call()  # the first call of each: imports, connections, caches
    for _ in range(max(0, args.warmup - 1)):
        for c in everyone:
            c.call()
    for c in everyone:
        c.reset()
    memo = app.extensions.get("lampio_turn_memo")
    if memo is not None:
        memo.hits = memo.kept = 0
    for _ in range(args.inproc_calls):
        for c in everyone:
            c.call()
    for each in (app, cold):  # the visits still batched, written while the database is there
        each.extensions["lampio_visits"].flush()
        each.extensions["lampio_engine"].dispose()

    floor = statistics.fmean(minimal.turn_times()) * 1000
    print(f"{args.inproc_calls} calls of each walk after {args.warmup} warm-up calls; "
          f"turn = one webhook through the test client (signature, flow, database, TwiML)")
    print("  programme walk:    call → " + " → ".join(k for k, _ in PROGRAMME_WALK) + " → hang up")
    print("  registration walk: call → " + " → ".join(k for k, _ in reg) + " → hang up")
    print(f"  {'turn':<28} {'n':>6} {'mean ms':>8} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'/minimal':>8} {'SQL':>7}")
    print(_line("minimal endpoint (floor)", minimal.turn_times(), floor))
    print(_line(f"programme turn ({PROGRAMME_KEY}, 3)", prog.rec.latencies.get(PROGRAMME_KEY, []),
                floor, prog.sql.counts.get(PROGRAMME_KEY) if prog.sql else None))
    print(_line("  the same, memo off", prog_cold.rec.latencies.get(PROGRAMME_KEY, []), floor,
                prog_cold.sql.counts.get(PROGRAMME_KEY) if prog_cold.sql else None))
    print(_line(f"registration {CONFIRM_KEY} (1)", regc.rec.latencies.get(CONFIRM_KEY, []), floor,
                regc.sql.counts.get(CONFIRM_KEY) if regc.sql else None))
    print(_line("room status callback", room.times(), floor))
    print(_line("programme walk, every turn", prog.turn_times(), floor, prog.statements()))
    print(_line("  the same, memo off", prog_cold.turn_times(), floor, prog_cold.statements()))
    print(_line("registration walk, every turn", regc.turn_times(), floor, regc.statements()))
    for c in (prog, regc, prog_cold, known):
        print(f"  {c.name} walk, turn by turn (mean ms / p50 / p99 / SQL statements):")
        for label, values in c.rec.latencies.items():
            sql = c.sql.counts.get(label, []) if c.sql else []
            print(_line(f"  {label}", values, floor, sql))
    p50c = pct(regc.rec.latencies.get(CONFIRM_KEY, []), 50)
    p50p = pct(prog.rec.latencies.get(PROGRAMME_KEY, []), 50)
    p50r = pct(room.times(), 50)
    print(f"  room status callback / programme turn (p50): {p50r:.2f} / {p50p:.2f} ms = "
          f"{ratio(p50r, p50p):.2f}x")
    print(f"  registration confirm / programme turn (p50): {p50c:.2f} / {p50p:.2f} ms = "
          f"{ratio(p50c, p50p):.2f}x")
    rest = [v for label, values in prog.rec.latencies.items() if label != "call" for v in values]
    if rest:  # how far the walk's other turns alone are from the floor: what the first costs
        mean = statistics.fmean(rest) * 1000
        print(f"  programme walk without the call's first webhook: {mean:.2f} ms a turn = "
              f"{ratio(mean, floor):.2f}x the floor (every turn: "
              f"{ratio(statistics.fmean(prog.turn_times()) * 1000, floor):.2f}x)")
    print(f"  statements per turn (mean): programme walk {statistics.fmean(prog.statements()):.1f}, "
          f"registration walk {statistics.fmean(regc.statements()):.1f}")
    if memo is not None:
        print(f"  turns answered from another caller's same turn (voice/turn_memo.py): "
              f"{memo.hits} of {prog.rec.turns + regc.rec.turns}; {memo.kept} worked out and kept; "
              f"{memo.entries()} answers held at the end")
    failed = sum(c.rec.errors for c in everyone)
    if failed:
        print(f"  {failed} failed turns (≥ 400 or the apology TwiML)")
