"""SQLite's WAL checkpoints off the callers' path.

Left to itself, SQLite copies the write-ahead log back into the database file inside the COMMIT
that takes the log past 1,000 pages: 14–18 ms on the development machine, every few hundred
commits, paid by whichever turn committed (a caller's confirm, a call's first turn). Here no
connection does that in a commit (``wal_autocheckpoint`` is set far above what a second of
writes fills, a backstop should the thread stop), and one thread per process and database runs
a PASSIVE checkpoint every ``EVERY`` seconds, which waits for no reader and no writer.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)

EVERY = 1.0  # seconds between checkpoints
BACKSTOP_PAGES = 20_000  # about 80 MB of log before a commit checkpoints after all


class Checkpointer:
    def __init__(self, path: str) -> None:
        self.path = path
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pid: int | None = None  # the process whose thread runs (a fork has none)
        self.runs = 0  # checkpoints made, for tests

    def start(self) -> None:
        """Start the thread of this process, once (again in a forked worker)."""
        if self._pid == os.getpid() or self._stop.is_set():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            threading.Thread(target=self._run, name="lampio-wal-checkpoint", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def checkpoint(self, conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        self.runs += 1

    def _run(self) -> None:
        # mode=rw: a database that is gone (a test's, removed) is not made again here.
        uri = Path(self.path).resolve().as_uri() + "?mode=rw"
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        except sqlite3.Error:
            log.warning("WAL checkpoints: cannot open %s; commits checkpoint after %d pages",
                        self.path, BACKSTOP_PAGES)
            return
        try:
            while not self._stop.wait(EVERY):
                try:
                    self.checkpoint(conn)
                except sqlite3.Error as exc:  # busy or gone: the next round tries again
                    if not Path(self.path).exists():
                        return
                    log.debug("WAL checkpoint skipped: %s", exc)
        finally:
            conn.close()
