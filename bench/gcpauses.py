"""The garbage collector's pauses in one process: how many collections of each generation, and
how long they took in all and at most. Every thread of the process waits while one runs, so a
full collection's length is a turn's delay for every call the process holds at that moment.
Collections the bench asks for itself (``gc.collect()`` before reading memory) are left out."""
from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Pauses:
    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.total = [0.0, 0.0, 0.0]
        self.longest = [0.0, 0.0, 0.0]
        self._started = 0.0
        self._own = False

    def __enter__(self) -> Pauses:
        gc.callbacks.append(self._seen)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self._seen)

    def _seen(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        if self._own:
            return
        spent, gen = time.perf_counter() - self._started, int(info["generation"])
        self.count[gen] += 1
        self.total[gen] += spent
        self.longest[gen] = max(self.longest[gen], spent)

    @contextmanager
    def own(self) -> Iterator[None]:
        """A collection the bench makes itself: not counted."""
        self._own = True
        try:
            yield
        finally:
            self._own = False

    def full_collection(self) -> float:
        """Seconds one full collection takes now: how long a generation-2 collection pauses
        the process, whenever the collector decides on one (rarely, and unpredictably)."""
        with self.own():
            started = time.perf_counter()
            gc.collect()
            return time.perf_counter() - started

    def lines(self) -> list[str]:
        return [f"  gen{gen}: {self.count[gen]:>6} collections, {self.total[gen] * 1000:>8.1f} ms "
                f"in all, longest {self.longest[gen] * 1000:>7.2f} ms" for gen in range(3)]
