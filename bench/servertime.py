"""The service's own time for each turn under load (``--server-times``).

A latency over HTTP carries the same overhead for every turn: the client's threads, the socket,
gunicorn's parsing and writing. Next to a kept answer that overhead is most of a programme
turn, so "confirm ÷ programme turn" over HTTP says little of what the service spends on each.
Here each gunicorn worker times the service's WSGI callable per request, labelled by the turn
the client names in a header (``X-Bench-Turn: <round>:<turn>``; the signature does not cover
headers), and writes the times to a file of its own when it exits; ``collect`` reads them all.
"""
from __future__ import annotations

import atexit
import json
import os
import statistics
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Callable

HEADER = "X-Bench-Turn"
DIR_ENV = "BENCH_SERVER_TIMES"  # where each worker writes <pid>.json
TARGET = "bench.servertime:serve_app()"  # gunicorn's, run from the project's root
APP = "app:serve_app()"  # what it times: our service as ``lampio serve`` runs it (--app's default)


def serve_app() -> Any:
    """``app.serve_app()`` with its WSGI callable timed (in a gunicorn worker)."""
    import app as lampio

    flask_app = lampio.serve_app()
    out = Path(os.environ[DIR_ENV])
    times: dict[str, list[float]] = {}
    lock = threading.Lock()
    inner: Callable[..., Iterable[bytes]] = flask_app.wsgi_app
    environ_key = "HTTP_" + HEADER.upper().replace("-", "_")

    def timed(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start = time.perf_counter()
        try:
            return inner(environ, start_response)
        finally:
            seconds = time.perf_counter() - start
            with lock:
                times.setdefault(environ.get(environ_key, "?"), []).append(seconds)

    def write() -> None:
        with lock:
            (out / f"{os.getpid()}.json").write_text(json.dumps(times))

    atexit.register(write)  # a worker's graceful exit (gunicorn's master stopping it)
    flask_app.wsgi_app = timed  # type: ignore[method-assign]  # WSGI middleware, as Flask's docs
    return flask_app


def collect(where: Path) -> dict[str, list[float]]:
    """Every worker's times by label (``<round>:<turn>``), in seconds."""
    merged: dict[str, list[float]] = {}
    for file in where.glob("*.json"):
        for label, values in json.loads(file.read_text()).items():
            merged.setdefault(label, []).extend(values)
    return merged


def summary(times: dict[str, list[float]], rounds: Iterable[int],
            turns: Iterable[str]) -> dict[str, tuple[float, float]]:
    """The rounds' server-side p50 and p99 (ms) of each named turn that ran in them."""
    rounds = list(rounds)
    out = {}
    for turn in turns:
        values = sorted(v for r in rounds for v in times.get(f"{r}:{turn}", []))
        if values:
            out[turn] = (statistics.median(values) * 1000,
                         values[min(len(values) - 1, int(len(values) * 0.99))] * 1000)
    return out


def report(times: dict[str, list[float]],
           rounds: dict[tuple[int, float, str], list[int]]) -> str:
    """Each round's turns timed inside our workers, without the HTTP and client overhead every
    turn's latency carries; and the confirm against the programme walk's next, so measured."""
    turns = ("call", "next", "register", "confirm", "hang up")
    lines = ["server-side ms (p50 / p99), inside our service's WSGI callable (--server-times):"]
    for (n, pause, name), nos in rounds.items():
        got = summary(times, nos, turns)
        lines.append(f"  {n:>5} {pause:>4.1f} {name:<13} " + "; ".join(
            f"{turn} {p50:.2f} / {p99:.2f}" for turn, (p50, p99) in got.items()))
        other = rounds.get((n, pause, "programme"))
        if name == "registration" and other and "confirm" in got:
            nxt = summary(times, other, ("next",)).get("next")
            if nxt:
                lines.append(f"  {n:>5} {pause:>4.1f} confirm ÷ programme next, server-side p50: "
                             f"{got['confirm'][0]:.2f} / {nxt[0]:.2f} = "
                             f"{got['confirm'][0] / nxt[0]:.2f}x")
    return "\n".join(lines)
