"""Writers queue in turn on SQLite.

SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps up to
100 ms between tries and serves no one in order — a lottery whose losers wait seconds. Inside one
process, writers instead queue here, first come first served, before they ask SQLite for the lock
(``BEGIN IMMEDIATE``). Between processes (gunicorn's workers, the CLI jobs), the one writer each
process lets through then takes a lock file beside the database (``ProcessWriters``): a writer
that finds it taken looks again within a couple of milliseconds instead of SQLite's 100, so a
write waits about as long as the writes before it take, not a lottery's seconds.
"""
from __future__ import annotations

import fcntl
import os
import threading
import time
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

    @property
    def depth(self) -> int:
        """How many times the calling thread holds it (0: not at all)."""
        return self._depth if self.held else 0


class ProcessWriters:
    """This process's writers in turn (``FairLock``), then one writer of all processes at a time
    (an exclusive ``flock`` on ``<database>-writelock``, dropped by the kernel if a process dies).
    ``path`` None (an in-memory database) leaves only the first stage."""

    POLL_SECONDS = (0.0005, 0.001, 0.002)  # then every 2 ms: a write transaction takes a few ms

    def __init__(self, path: str | None) -> None:
        self.local = FairLock()
        self.path = path
        self._fd: int | None = None

    def acquire(self, timeout: float = WAIT_SECONDS) -> bool:
        """True when both are held; False (nothing held) past ``timeout``: SQLite's busy
        timeout then decides, as before."""
        deadline = time.monotonic() + timeout
        if not self.local.acquire(timeout):
            return False
        if self.path is None or self.local.depth > 1:
            return True
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        polls = iter(self.POLL_SECONDS)
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    self.local.release()
                    return False
                time.sleep(next(polls, self.POLL_SECONDS[-1]))

    def release(self) -> None:
        if self.path is not None and self._fd is not None and self.local.depth == 1:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self.local.release()
