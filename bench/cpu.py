"""CPU seconds a process tree has used, from ``/proc``: what each server spent on a round.

The load's client shares the machine's CPUs with the servers (it used half of them or more),
and it spends more on our longer TwiML than on the minimal endpoint's: the turns/s ratio then
counts the client too. A server's own CPU per turn does not: gunicorn's master and workers (and
for PostgreSQL the database server's processes) before and after a round. Linux only; where
``/proc`` cannot be read the figure is left out (None), never guessed.
"""
from __future__ import annotations

import os
import resource
from collections.abc import Iterable

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()  # after the name, which may hold spaces;
        # [1] is the parent, [11] [12] user and system time, [13] [14] those of reaped children
    except OSError:
        return None


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (st := _stat(int(name))) is not None:
            kids.setdefault(int(st[1]), []).append(int(name))
    return kids


def tree_seconds(roots: Iterable[int]) -> float | None:
    """User + system seconds of each root and every live descendant, plus what each root's
    reaped children used (a PostgreSQL backend that ended during the round counts too)."""
    kids = _children()
    total, seen = 0, 0
    for root in roots:
        st = _stat(root)
        if st is None:
            continue
        seen += 1
        total += int(st[13]) + int(st[14])  # cutime, cstime: its children already reaped
        todo = [root]
        while todo:
            pid = todo.pop()
            if (s := _stat(pid)) is not None:
                total += int(s[11]) + int(s[12])  # utime, stime
            todo.extend(kids.get(pid, []))
    return total / _TICK if seen else None


def parent_of(pid: int) -> int | None:
    st = _stat(pid)
    return int(st[1]) if st is not None else None


def reaped_children_seconds() -> float:
    """This process's children that ended (the load's client processes, once a round is over)."""
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def postmaster(url: str) -> int | None:
    """The PostgreSQL server's first process, when it runs on this machine (its backends are
    its children); None for SQLite, a remote server, or one whose processes cannot be seen."""
    from sqlalchemy import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql") or parsed.host not in (
            None, "", "127.0.0.1", "localhost", "::1"):
        return None
    import psycopg

    conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:  # its backend's parent, read while it lives
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()
        return parent_of(int(backend[0])) if backend else None
