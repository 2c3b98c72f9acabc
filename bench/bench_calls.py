"""How many call turns a second the service answers under gunicorn, beside a trivial Flask
endpoint in the same run.

Why side by side: absolute numbers depend on the machine; the ratio to a fixed-TwiML endpoint
(same gunicorn settings, same client, same concurrency) shows what our flows, database and
signature checks cost. Everything runs on 127.0.0.1 and every server started here is stopped.

    .venv/bin/python bench/bench_calls.py            # N = 50 and 200, 20 s each
    .venv/bin/python bench/bench_calls.py --quick    # a short run
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voice.simulator import SimulatedCall  # noqa: E402
from voice.simulator_cli import http_transport  # noqa: E402

TOKEN = "bench-auth-token-0123456789abcdef"
# The walk every caller makes: a new caller picks Finnish, then the programme: 1, next, next,
# more, previous — then hangs up (the status callback counts as a turn too).
WALK = ("1", "1", "3", "3", "1", "4")
FALLBACK_MARK = "/voice/fallback"  # the apology TwiML sends keys here: a flow failed


@dataclass
class Figures:
    turns: int = 0
    errors: int = 0
    calls: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)

    def merge(self, other: Figures) -> None:
        self.turns += other.turns
        self.errors += other.errors
        self.calls += other.calls
        self.seconds = max(self.seconds, other.seconds)
        self.latencies.extend(other.latencies)

    @property
    def rate(self) -> float:
        return self.turns / self.seconds if self.seconds else 0.0

    @property
    def ok_rate(self) -> float:
        """Turns a second that did not fail (a failed turn is cheap and ends the walk early)."""
        return (self.turns - self.errors) / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(p / 100 * len(data)))] * 1000


# -- servers ---------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def database(tmp: Path, server_url: str | None) -> Iterator[str]:
    """A fresh SQLite file, or with ``server_url`` a PostgreSQL database of this run's own."""
    from catalogue.db import private_database

    with private_database(server_url or f"sqlite:///{tmp / 'bench.sqlite3'}") as url:
        yield url


def prepare_database(tmp: Path, url: str) -> None:
    """The schema and the demo programme."""
    from app import create_app
    from catalogue.setup import prepare_database as prepare

    app = create_app({"DATABASE_URL": url, "DEMO_DATA": True, "SCHEDULER": False,
                      "TWILIO_AUTH_TOKEN": TOKEN, "AUDIO_DIR": str(tmp / "audio")})
    prepare(app)
    app.extensions["lampio_engine"].dispose()


class Server:
    """One gunicorn on loopback, started and stopped by this script only."""

    def __init__(self, name: str, target: str, env: dict[str, str], workers: int, threads: int,
                 chdir: Path, log: Path) -> None:
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log.open("w")
        cmd = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "gthread",
               "--threads", str(threads), "-b", f"127.0.0.1:{self.port}", "--chdir", str(chdir),
               "--log-level", "warning", "--graceful-timeout", "5", target]
        self.proc = subprocess.Popen(cmd, env={**os.environ, **env, "PORT": str(self.port)},
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} server exited; see {self.log.name}")
            try:
                requests.get(self.base + "/", timeout=5)
                return
            except requests.RequestException:  # not listening yet, or workers still booting
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} server did not start in {timeout:.0f} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # the gunicorn master stops its own workers
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


# -- callers ---------------------------------------------------------------------------------

def _one_call(base: str, number: str, http: requests.Session, out: Figures) -> None:
    def timed(path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        started = time.perf_counter()
        try:
            status, body = transport(path, form, headers)
        except Exception:  # noqa: BLE001 - a failed turn is a figure, not a crash
            out.errors += 1
            out.latencies.append(time.perf_counter() - started)
            raise
        out.latencies.append(time.perf_counter() - started)
        out.turns += 1
        if status >= 400 or FALLBACK_MARK in body:
            out.errors += 1
        return status, body

    transport = http_transport(base, http, timeout=60)
    call = SimulatedCall(timed, TOKEN, base, from_number=number)
    turn = call.call()
    for key in WALK:
        if not call.next_action or turn.status >= 400:
            break
        turn = call.press(key)
    call.hang_up()
    out.calls += 1


def _caller(base: str, index: int, start_at: float, stop_at: float, max_calls: int,
            out: Figures) -> None:
    http = requests.Session()
    time.sleep(max(0.0, start_at - time.time()))
    for n in range(max_calls):
        if time.time() >= stop_at:
            break
        try:
            _one_call(base, f"+35840{index:04d}{n:03d}", http, out)
        except Exception:  # noqa: BLE001 - counted in _one_call; go on with the next call
            out.calls += 1
    http.close()


def _client_process(base: str, first: int, count: int, start_at: float, stop_at: float,
                    max_calls: int) -> Figures:
    """``count`` concurrent callers in threads; the figures of all of them."""
    parts = [Figures() for _ in range(count)]
    threads = [threading.Thread(target=_caller, args=(base, first + i, start_at, stop_at,
                                                      max_calls, parts[i]), daemon=True)
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


def drive(base: str, callers: int, seconds: float, max_calls: int, processes: int,
          offset: int) -> Figures:
    """``callers`` concurrent simulated phones for at most ``seconds`` (each finishes the call it
    is in) and ``max_calls`` calls each, spread over ``processes`` client processes so that the
    client's GIL is not the bottleneck."""
    start_at = time.time() + 1.0
    stop_at = start_at + seconds
    share = [callers // processes + (1 if i < callers % processes else 0) for i in range(processes)]
    firsts = [offset + sum(share[:i]) for i in range(processes)]
    with mp.get_context("fork").Pool(processes) as pool:
        results = pool.starmap(_client_process, [(base, f, c, start_at, stop_at, max_calls)
                                                 for f, c in zip(firsts, share) if c])
    total = Figures()
    for r in results:
        total.merge(r)
    return total


# -- report ----------------------------------------------------------------------------------

def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def table(rows: list[tuple[int, Figures, Figures]]) -> str:
    head = (f"{'callers':>7}  {'server':<8} {'calls':>6} {'turns':>7} {'failed':>6} "
            f"{'turns/s':>8} {'ok/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    lines = [head, "-" * len(head)]
    for n, ours, base in rows:
        for name, f in (("lampio", ours), ("minimal", base)):
            lines.append(f"{n:>7}  {name:<8} {f.calls:>6} {f.turns:>7} {f.errors:>6} "
                         f"{f.rate:>8.1f} {f.ok_rate:>8.1f} {f.pct(50):>8.1f} {f.pct(99):>8.1f}")
        lines.append(f"{n:>7}  {'ratio':<8} {'':>6} {'':>7} {'':>6} "
                     f"{_ratio(ours.rate, base.rate):>8.2f} {_ratio(ours.ok_rate, base.ok_rate):>8.2f} "
                     f"{_ratio(ours.pct(50), base.pct(50)):>8.2f} "
                     f"{_ratio(ours.pct(99), base.pct(99)):>8.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--callers", default="50,200", help="concurrent callers per round (default 50,200)")
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each round")
    ap.add_argument("--max-calls", type=int, default=50, help="calls per caller per round at most")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--client-processes", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="short rounds (4 s, 3 calls each)")
    ap.add_argument("--app", default="app:create_app()",
                    help="gunicorn target of our service (to compare variants)")
    ap.add_argument("--postgres", metavar="URL", default=None,
                    help="run on a fresh database on this PostgreSQL server instead of SQLite, "
                         "e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (database, server logs)")
    args = ap.parse_args(argv)
    if args.quick:
        args.seconds, args.max_calls = 4.0, 3
    counts = [int(x) for x in args.callers.split(",") if x.strip()]

    tmp = Path(tempfile.mkdtemp(prefix="lampio-bench-"))
    try:
        with database(tmp, args.postgres) as url:
            return _run(args, counts, tmp, url)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _run(args: argparse.Namespace, counts: list[int], tmp: Path, url: str) -> int:
    print(f"preparing {url.split(':', 1)[0]} with the demo programme …", flush=True)
    prepare_database(tmp, url)
    env = {"DATABASE_URL": url, "SCHEDULER": "0", "TWILIO_AUTH_TOKEN": TOKEN,
           "TWILIO_SKIP_SIGNATURE": "0", "PUBLIC_BASE_URL": "", "DEMO_DATA": "0",
           "AUDIO_DIR": str(tmp / "audio")}
    servers: list[Server] = []
    try:
        servers.append(Server("lampio", args.app, env, args.workers, args.threads,
                              ROOT, tmp / "lampio.log"))
        servers.append(Server("minimal", "minimal_app:app", {}, args.workers, args.threads,
                              ROOT / "bench", tmp / "minimal.log"))
        for s in servers:
            s.wait_ready()
        ours, base = servers
        for s in servers:  # warm up: import paths, connections, the first queries
            drive(s.base, 4, 1.0, 1, 1, offset=9000)
        print(f"gunicorn -w {args.workers} -k gthread --threads {args.threads}; "
              f"{os.cpu_count()} CPUs; client in {args.client_processes} processes; "
              f"rounds of {args.seconds:.0f} s; turn = one webhook request", flush=True)
        rows = []
        for i, n in enumerate(counts):
            print(f"… {n} callers", flush=True)
            f_ours = drive(ours.base, n, args.seconds, args.max_calls,
                           args.client_processes, offset=i * 1000)
            f_base = drive(base.base, n, args.seconds, args.max_calls,
                           args.client_processes, offset=i * 1000)
            rows.append((n, f_ours, f_base))
        print()
        print(table(rows))
        errors = sum(o.errors for _, o, _ in rows)
        if errors:
            print(f"\n{errors} failed turns on lampio; server log: {ours.log.name}"
                  + ("" if args.keep else " (removed; rerun with --keep to inspect)"))
        return 0
    finally:
        for s in servers:
            s.stop()


if __name__ == "__main__":
    raise SystemExit(main())
