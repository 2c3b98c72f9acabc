"""Thousands of pausing callers from a few client threads: a timetable of turns.

A thread per caller (``load._caller``) cannot drive the issue's 10,000 callers pressing a key
every 15 s: at 1,200 callers the client's threads cost it 5 ms of CPU a turn, and the client
shares the servers' 2 CPUs. Here every caller is a small state — its call, its place in the
walk, when its next turn is due — in one timetable (a heap), and ``threads`` workers per client
process take whichever turn is due, make it (the same signed webhooks through
``SimulatedCall``, each turn on a connection of its own, as after a pause), and put the caller
back for its next key. The walk is ``common.walk``'s: call, a pause before every key, the
hang-up right after the last key, then the next call at once while the round lasts.
"""
from __future__ import annotations

import heapq
import itertools
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any, cast

import requests

from common import FALLBACK_MARK, TOKEN, Recorder, Walk, phone_number
from load_report import Figures
from voice.simulator import SimulatedCall, Turn
from voice.simulator_cli import http_transport


@dataclass
class _Caller:
    index: int
    rec: Recorder
    rng: random.Random
    calls: int = 0
    call: SimulatedCall | None = None
    step: int = 0  # the walk's next key; -1: the call is to be made
    last: Turn | None = None


@dataclass(order=True)
class _Due:
    at: float
    seq: int
    caller: _Caller = field(compare=False)


class Timetable:
    """The callers' next turns, earliest first; ``take`` waits until one is due."""

    def __init__(self, callers: int) -> None:
        self._heap: list[_Due] = []
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._left = callers  # callers not done yet

    def put(self, at: float, caller: _Caller) -> None:
        with self._cv:
            heapq.heappush(self._heap, _Due(at, next(self._seq), caller))
            self._cv.notify()

    def finished(self) -> None:
        with self._cv:
            self._left -= 1
            if self._left == 0:
                self._cv.notify_all()

    def take(self) -> _Caller | None:
        with self._cv:
            while True:
                if not self._heap:
                    if self._left == 0:
                        return None
                    self._cv.wait()
                    continue
                wait = self._heap[0].at - time.time()
                if wait <= 0:
                    return heapq.heappop(self._heap).caller
                self._cv.wait(wait)


class _Round:
    def __init__(self, base: str, rnd: Any, first: int, count: int, start_at: float) -> None:
        self.base, self.rnd, self.start_at = base, rnd, start_at
        self.stop_at = start_at + rnd.seconds
        self.table = Timetable(count)
        self.local = threading.local()
        self.callers = [_Caller(first + i, Recorder(self._send),
                                random.Random(rnd.no * 100_000 + first + i)) for i in range(count)]
        spread = rnd.spread or rnd.pause
        for c in self.callers:
            c.step = -1
            self.table.put(start_at + c.rng.uniform(0, spread), c)

    def _send(self, path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        send = getattr(self.local, "send", None)
        if send is None:  # one session per worker thread; a new connection for every turn
            http = requests.Session()
            http.headers["Connection"] = "close"
            send = self.local.send = http_transport(self.base, http, timeout=60)
        return cast("tuple[int, str]", send(path, form, headers))

    def _pause(self, c: _Caller) -> float:
        return self.rnd.pause * c.rng.uniform(0.5, 1.5)

    def turn(self, c: _Caller) -> None:
        """The caller's next turn, then when the one after is due (or the caller is done)."""
        steps: Walk = self.rnd.steps
        try:
            if c.step == -1:
                c.call = SimulatedCall(c.rec, TOKEN, self.base,
                                       from_number=phone_number(self.rnd.no, c.index,
                                                                  0 if self.rnd.again else c.calls))
                c.rec.label = "call"
                c.last, c.step = c.call.call(), 0
            elif c.call is not None and c.last is not None and c.step < len(steps) \
                    and c.call.next_action and c.last.status < 400 \
                    and FALLBACK_MARK not in c.last.body:
                key, name = steps[c.step]
                c.rec.label = name
                c.last, c.step = c.call.press(key), c.step + 1
            elif c.call is not None:
                c.rec.label = "hang up"
                c.call.hang_up()
                self._ended(c)
                return
        except Exception:  # noqa: BLE001 - counted by the recorder; the caller's next call
            self._ended(c)
            return
        ahead = c.step < len(steps) and c.call is not None and c.call.next_action
        self.table.put(time.time() + (self._pause(c) if ahead else 0.0), c)

    def _ended(self, c: _Caller) -> None:
        c.calls += 1
        c.call, c.last = None, None
        if time.time() < self.stop_at and c.calls < self.rnd.max_calls:
            c.step = -1
            self.table.put(time.time(), c)
        else:
            self.table.finished()

    def work(self) -> None:
        while (c := self.table.take()) is not None:
            self.turn(c)


def run(base: str, rnd: Any, first: int, count: int, start_at: float, threads: int) -> Figures:
    """``count`` callers served by ``threads`` workers; the figures of all of them."""
    r = _Round(base, rnd, first, count, start_at)
    workers = [threading.Thread(target=r.work, daemon=True) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    total = Figures()
    for c in r.callers:
        total.merge(c.rec)
        total.calls += c.calls
    total.seconds = time.time() - start_at
    return total
