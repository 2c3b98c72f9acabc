"""Writers queue in turn on SQLite.

SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps up to
100 ms between tries and serves no one in order — a lottery whose losers wait seconds. Inside one
process, writers instead queue here, first come first served, before they ask SQLite for the lock
(``BEGIN IMMEDIATE``); SQLite's own waiting is then left for writers of other processes.
"""
from __future__ import annotations

import threading
from collections import deque

WAIT_SECONDS = 30.0  # past this, go on and let SQLite's busy timeout decide


class FairLock:
    """A FIFO lock that the thread holding it may take again (counted)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._queue: deque[threading.Event] = deque()
        self._owner: int | None = None
        self._depth = 0

    def acquire(self, timeout: float = WAIT_SECONDS) -> bool:
        me = threading.get_ident()
        with self._guard:
            if self._owner == me:
                self._depth += 1
                return True
            if self._owner is None and not self._queue:
                self._owner, self._depth = me, 1
                return True
            turn = threading.Event()
            self._queue.append(turn)
        handed = turn.wait(timeout)
        with self._guard:
            if not handed and turn in self._queue:
                self._queue.remove(turn)
                return False
            self._owner, self._depth = me, 1  # handed over by ``release``
            return True

    def release(self) -> None:
        with self._guard:
            if self._owner is None:
                return
            self._depth -= 1
            if self._depth > 0:
                return
            self._owner = None
            if self._queue:
                self._queue.popleft().set()
                self._owner = -1  # reserved for the woken thread until it takes over

    @property
    def held(self) -> bool:
        return self._owner == threading.get_ident()
