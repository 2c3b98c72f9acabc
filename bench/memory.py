"""A worker's memory over many calls: one process plays the programme walk through Flask's test
client (the same app a gunicorn worker holds) and reads its own VmRSS from /proc at fixed
points, so "flat over 10,000 calls" can be read. Beside it, after a collection: the blocks
Python's allocator holds (``sys.getallocatedblocks``: every Python object, strings included) and
the container objects the garbage collector tracks. RSS growing while both stay flat is memory
outside Python objects (SQLite's or the driver's caches, the C allocator).
"""
from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

from common import PROGRAMME_WALK, app_config, kind, prepare_database, rss_kib
from gcpauses import Pauses
from inproc import Caller

CHECKPOINTS = (1_000, 2_000, 5_000, 10_000)


def add_arguments(ap: argparse.ArgumentParser) -> None:
    g = ap.add_argument_group("memory (--memory)")
    g.add_argument("--calls", type=int, default=10_000,
                   help="programme-walk calls to make (10000); RSS at 1000, 2000, 5000, 10000")
    g.add_argument("--unsettled", action="store_true",
                   help="leave out app.settle (gc.freeze after start-up, as `lampio serve` does)")


def _row(calls: int | str, started: float, base_kib: int | None, pauses: Pauses) -> str:
    with pauses.own():
        gc.collect()
    rss = rss_kib()
    growth = f"{(rss - base_kib) / 1024:>+9.1f}" if base_kib is not None else f"{'':>9}"
    return (f"  {calls!s:>8} {rss / 1024:>9.1f} {growth} {sys.getallocatedblocks():>10} "
            f"{len(gc.get_objects()):>10} "
            f"{time.perf_counter() - started:>8.0f}")


def run(args: argparse.Namespace, tmp: Path, url: str) -> None:
    from app import create_app, settle

    print(f"== memory on {kind(url)}: preparing the demo programme …", flush=True)
    prepare_database(tmp, url)
    app = create_app(app_config(tmp, url))
    if not args.unsettled:
        settle(app)  # as each worker of `lampio serve`
    client = app.test_client()
    caller = Caller("programme", client, PROGRAMME_WALK, 10)
    for _ in range(50):  # warm-up: imports, connections, caches
        caller.call()
    caller.reset()
    caller.n = 0
    points = sorted({p for p in CHECKPOINTS if p < args.calls} | {args.calls})
    print(f"programme walk, {args.calls} calls in one process; RSS = VmRSS after gc.collect()")
    print(f"  {'calls':>8} {'RSS MiB':>9} {'growth':>9} {'py blocks':>10} {'gc objs':>10} {'s':>8}")
    with Pauses() as pauses:
        started = time.perf_counter()
        with pauses.own():
            gc.collect()
        base = rss_kib()
        print(_row("start", started, None, pauses), flush=True)
        done, spent, timed = 0, 0.0, 0
        for point in points:
            while done < point:
                caller.call()
                done += 1
                lat = caller.turn_times()  # kept as a sum only: the bench itself must not grow
                spent, timed = spent + sum(lat), timed + len(lat)
                caller.rec.latencies.clear()
                caller.rec.ended.clear()  # the turns' end times too (for the load part's rates)
            print(_row(done, started, base, pauses), flush=True)
    print(f"  {caller.rec.turns} turns, {caller.rec.errors} failed; mean turn "
          f"{spent / timed * 1000 if timed else float('nan'):.2f} ms")
    frozen = "not frozen (--unsettled)" if args.unsettled else "frozen, as `lampio serve` does"
    print(f"garbage collector during the calls (start-up's objects {frozen}; the bench's own "
          "collections left out):")
    print("\n".join(pauses.lines()))
    full = min(pauses.full_collection() for _ in range(5)) * 1000
    print(f"  a full collection now (what a generation-2 collection costs, best of 5): "
          f"{full:.1f} ms")
    app.extensions["lampio_visits"].flush()  # the visits still batched, while the database is there
    app.extensions["lampio_engine"].dispose()
