"""HTTP load: our service under gunicorn beside the minimal endpoint (``minimal_app.py``, same
gunicorn settings, same client, same concurrency) in the same run.

N concurrent simulated callers (``SimulatedCall`` over HTTP, requests signed as Twilio signs
them) each make calls for the length of a round, flat out (pause 0) or pausing between keys
like people do (``--pause 2``: 2 s ± 50 % before every key). Walks, each in rounds of its
own: the programme walk, the registration walk, and the programme walk of known callers
(``common``). Loopback only; every server started here is stopped.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import requests

import cpu
import servertime
import swarm
from common import (BENCH, KNOWN_WALK, PROGRAMME_WALK, ROOT, TOKEN, Recorder, Walk, check_known,
                    error_lines, find_registration_walk, kind, known_people, phone_number,
                    prepare_database, ratio, walk)
from gunicorn_server import Server
from load_report import Figures, Row, confirm_vs_programme, cpu_table, table
from voice.simulator import SimulatedCall
from voice.simulator_cli import http_transport


# -- callers ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Round:
    no: int  # numbers the callers' phones (common.phone_number)
    steps: Walk
    pause: float
    seconds: float
    max_calls: int
    spread: float = 0.0  # callers start within this many seconds (0: within one pause)
    client_threads: int = 0  # per client process, from a timetable (``swarm``); 0: one a caller
    again: bool = False  # each caller calls from one number (``known_people``); else a new one


def _caller(base: str, rnd: Round, index: int, start_at: float, stop_at: float,
            out: Figures) -> None:
    http = requests.Session()
    rng = random.Random(rnd.no * 100_000 + index)
    send = http_transport(base, http, timeout=60)

    def labelled(path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        return send(path, form, {**headers, servertime.HEADER: f"{rnd.no}:{rec.label}"})

    rec = Recorder(labelled)  # the turn named for ``--server-times``

    def pause() -> None:  # then a new connection: gunicorn drops idle ones after 2 s (keep-alive)
        time.sleep(rnd.pause * rng.uniform(0.5, 1.5))
        http.close()

    time.sleep(max(0.0, start_at + rng.uniform(0, rnd.spread or rnd.pause) - time.time()))
    for n in range(rnd.max_calls):
        if time.time() >= stop_at:
            break
        number = phone_number(rnd.no, index, 0 if rnd.again else n)
        call = SimulatedCall(rec, TOKEN, base, from_number=number)
        try:
            walk(call, rnd.steps, rec, pause if rnd.pause else None)
        except Exception:  # noqa: BLE001 - counted by the recorder; go on with the next call
            pass
        out.calls += 1
    out.merge(rec)
    http.close()


def _client_process(base: str, rnd: Round, first: int, count: int, start_at: float) -> Figures:
    """``count`` concurrent callers in threads; the figures of all of them."""
    if rnd.client_threads:
        return swarm.run(base, rnd, first, count, start_at, rnd.client_threads)
    stop_at = start_at + rnd.seconds
    threading.stack_size(512 * 1024)  # hundreds of callers: a small stack each is plenty
    parts = [Figures() for _ in range(count)]
    threads = [threading.Thread(target=_caller, args=(base, rnd, first + i, start_at, stop_at,
                                                      parts[i]), daemon=True)
               for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = Figures()
    for p in parts:
        total.merge(p)
    total.seconds = time.time() - start_at  # until this process's last caller hung up
    return total


def drive(base: str, rnd: Round, callers: int, processes: int) -> Figures:
    """``callers`` concurrent phones for at most ``rnd.seconds`` (each finishes the call it is
    in), spread over ``processes`` client processes so that the client's GIL is not the
    bottleneck."""
    start_at = time.time() + 1.0
    share = [callers // processes + (1 if i < callers % processes else 0) for i in range(processes)]
    firsts = [sum(share[:i]) for i in range(processes)]
    with mp.get_context("fork").Pool(processes) as pool:
        results = pool.starmap(_client_process, [(base, rnd, f, c, start_at)
                                                 for f, c in zip(firsts, share) if c])
    total = Figures()
    for r in results:
        total.merge(r)
    total.settle()
    return total


def measured(server: Server, rnd: Round, callers: int, processes: int,
             db_root: int | None) -> Figures:
    """``drive``, and the CPU seconds the round cost the server's processes, the database
    server's (``db_root``: PostgreSQL's postmaster on this machine) and the client's."""
    def now() -> tuple[float | None, float | None]:
        return cpu.tree_seconds([server.proc.pid]), cpu.tree_seconds([db_root]) if db_root else None

    (app0, db0), client0 = now(), cpu.reaped_children_seconds()
    f = drive(server.base, rnd, callers, processes)
    app1, db1 = now()
    f.cpu = app1 - app0 if app0 is not None and app1 is not None else None
    f.db_cpu = db1 - db0 if db0 is not None and db1 is not None else None
    f.client_cpu = cpu.reaped_children_seconds() - client0  # the pool's processes are reaped
    return f


# -- the part --------------------------------------------------------------------------------

def add_arguments(ap: argparse.ArgumentParser) -> None:
    g = ap.add_argument_group("HTTP load (--load)")
    g.add_argument("--callers", default="50,200", help="concurrent callers per round (50,200)")
    g.add_argument("--pause", default="0,2", help="seconds between keys, one round each (0,2)")
    g.add_argument("--seconds", type=float, default=20.0, help="round length at pause 0 (20)")
    g.add_argument("--pause-seconds", type=float, default=30.0, help="round length, pausing (30)")
    g.add_argument("--walks", default="programme,registration",
                   help="programme,registration; known: the programme walk by people who "
                        "called before (no language choice)")
    g.add_argument("--max-calls", type=int, default=100,
                   help="calls per caller per round (≤ 100, the default): a server whose callers "
                        "all reach it ends its round early, at lower concurrency (50 made the "
                        "minimal endpoint do so at 50 callers flat out, and its rate lower)")
    g.add_argument("--spread", type=float, default=0.0,
                   help="callers start spread over this many seconds (default: one pause); "
                        "with thousands of callers pausing 15 s, spread their starts over a "
                        "call's length (e.g. 120) or they all call in the same 15 s")
    g.add_argument("--client-threads", type=int, default=0,
                   help="serve the callers of each client process from a timetable by this many "
                        "threads (bench/swarm.py) instead of a thread each: for thousands of "
                        "pausing callers (0: a thread each)")
    g.add_argument("--workers", type=int, default=4)
    g.add_argument("--threads", type=int, default=8)
    g.add_argument("--client-processes", type=int, default=2)
    g.add_argument("--repeat", type=int, default=1,
                   help="run each round this often, ours and minimal in turn, and add them up "
                        "(the spread of the repeats' ratios is printed): less of the machine's "
                        "drift in the ratio (1)")
    g.add_argument("--quick", action="store_true", help="short rounds (4 s / 8 s, 3 calls each)")
    g.add_argument("--app", default=servertime.APP, help="gunicorn target of our service")
    g.add_argument("--server-times", action="store_true",
                   help="also time each turn inside our service's workers (bench/servertime.py)")


def run(args: argparse.Namespace, tmp: Path, url: str) -> None:
    if args.quick:
        args.seconds, args.pause_seconds, args.max_calls = 4.0, 8.0, 3
    counts = [int(x) for x in args.callers.split(",") if x.strip()]
    pauses = [float(x) for x in args.pause.split(",") if x.strip()]
    walks = [w.strip() for w in args.walks.split(",") if w.strip()]
    print(f"== HTTP load on {kind(url)}: preparing the demo programme …", flush=True)
    prepare_database(tmp, url)
    env = {"DATABASE_URL": url, "SCHEDULER": "0", "TWILIO_AUTH_TOKEN": TOKEN,
           "TWILIO_SKIP_SIGNATURE": "0", "PUBLIC_BASE_URL": "", "DEMO_DATA": "0",
           "AUDIO_DIR": str(tmp / "audio"), "SECRET_KEY": "bench-secret-key"}
    target, times_dir = args.app, tmp / "server-times"
    if args.server_times and args.app != servertime.APP:
        raise SystemExit("--server-times times app:serve_app() itself: not with --app")
    if args.server_times:
        times_dir.mkdir()
        target, env[servertime.DIR_ENV] = servertime.TARGET, str(times_dir)
    rows: list[Row] = []
    rounds: dict[tuple[int, float, str], list[int]] = {}
    servers: list[Server] = []
    try:
        servers.append(Server("lampio", target, env, args.workers, args.threads,
                              ROOT, tmp / "lampio.log"))
        servers.append(Server("minimal", "minimal_app:app", {}, args.workers, args.threads,
                              BENCH, tmp / "minimal.log"))
        for s in servers:
            s.wait_ready()
        ours, base = servers
        db_root = cpu.postmaster(url)
        with requests.Session() as http:
            def make_call(number: str) -> SimulatedCall:
                return SimulatedCall(http_transport(ours.base, http, timeout=60), TOKEN,
                                     ours.base, from_number=number)
            reg = find_registration_walk(make_call)
            if "known" in walks:
                check_known(make_call, tmp, url)
        steps = {"programme": PROGRAMME_WALK, "registration": reg, "known": KNOWN_WALK}
        for s in servers:  # warm up: import paths, connections, the first queries
            drive(s.base, Round(99, PROGRAMME_WALK, 0.0, 1.0, 1), 4, 1)
        print(f"gunicorn -w {args.workers} -k gthread --threads {args.threads}; "
              f"client in {args.client_processes} processes; rounds of "
              f"{args.seconds:.0f} s (pause 0) / {args.pause_seconds:.0f} s (pausing); "
              f"turn = one webhook request", flush=True)
        for name in walks:
            print(f"  {name} walk: call → " + " → ".join(k for k, _ in steps[name]) + " → hang up")
        no = 0
        for pause in pauses:
            for n in counts:
                for name in walks:
                    print(f"… {n} callers, pause {pause:g} s, {name} walk", flush=True)
                    f_ours, f_base, each = Figures(), Figures(), []
                    for _ in range(max(1, args.repeat)):
                        no += 1
                        rounds.setdefault((n, pause, name), []).append(no)
                        if name == "known":
                            known_people(tmp, url, no, n)
                        rnd = Round(no, steps[name], pause,
                                    args.pause_seconds if pause else args.seconds,
                                    min(args.max_calls, 100), args.spread,
                                    args.client_threads, name == "known")
                        o, b = (measured(s, rnd, n, args.client_processes,
                                         db_root if s is ours else None) for s in servers)
                        f_ours.then(o)
                        f_base.then(b)
                        each.append(ratio(o.rate, b.rate))
                    if len(each) > 1:
                        print("    turns/s ratio of each repeat: "
                              + ", ".join(f"{r:.2f}" for r in each), flush=True)
                    rows.append((n, pause, name, f_ours, f_base))
        print()
        print(table(rows))
        print()
        print("CPU ms per turn (user + system) of each server's own processes — gunicorn's, and "
              "for lampio on PostgreSQL the database server's (db) — and of the client; "
              "ratio = lampio / minimal, the cost without the client's share of the CPUs; "
              "mid t/s = turns a second in the middle 60 % of the round, without its ramp "
              "and its end")
        print(cpu_table(rows))
        print("key = the turn that matters in the walk: 'next' = the 3 inside the programme, "
              "'confirm' = the 1 after the registration read-back")
        for line in confirm_vs_programme(rows):
            print(line)
        for server, pick in (("lampio", lambda r: r[3]), ("minimal", lambda r: r[4])):
            why = sum((pick(r).reasons for r in rows), Counter[str]())
            if why:
                print(f"failed turns on {server}: " + ", ".join(f"{n} {w}" for w, n in why.items()))
        errors = sum(o.errors for *_, o, _ in rows)
        if errors:
            print(f"\n{errors} failed turns on lampio; server log: {ours.log.name}"
                  + ("" if args.keep else " (removed; rerun with --keep to inspect)"))
            ours.log.flush()
            print("\n".join(error_lines(Path(ours.log.name))) or "  (no error lines in the log)")
    finally:
        for s in servers:
            s.stop()  # our workers write their times as they exit
    if args.server_times:
        print(servertime.report(servertime.collect(times_dir), rounds))

