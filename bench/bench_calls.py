"""Call benchmarks: what a call turn costs, and whether a worker's memory stays flat.

Three parts, each on a fresh database of its own (SQLite in a temp dir, or with ``--postgres
URL`` a private database on that server), each printing its figures:

  --load     HTTP load: our service under gunicorn beside a minimal Flask endpoint, 50 and 200
             callers, flat out and pausing 2 s between keys, programme and registration walks
  --inproc   in-process turn cost through Flask's test client: ms per turn against the minimal
             endpoint, and SQL statements per turn
  --memory   RSS of one process over 10,000 programme-walk calls

No part flag runs all three. Ratios are ours / minimal, measured in the same run. Loopback only;
every server started here is stopped. Never part of the test suite.

    PYTHONPATH=. .venv/bin/python bench/bench_calls.py                  # everything (~30 min on 2 CPUs)
    PYTHONPATH=. .venv/bin/python bench/bench_calls.py --inproc
    PYTHONPATH=. .venv/bin/python bench/bench_calls.py --load --quick
    PYTHONPATH=. .venv/bin/python bench/bench_calls.py --memory --calls 2000 \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402,F401 - puts the project root on sys.path
import inproc  # noqa: E402
import load  # noqa: E402
import memory  # noqa: E402

PARTS = {"load": load, "inproc": inproc, "memory": memory}


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--load", action="store_true", help="run the HTTP load part")
    ap.add_argument("--inproc", action="store_true", help="run the in-process turn cost part")
    ap.add_argument("--memory", action="store_true", help="run the memory part")
    ap.add_argument("--postgres", metavar="URL", default=None,
                    help="run on fresh databases on this PostgreSQL server instead of SQLite, "
                         "e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (databases, server logs)")
    for part in PARTS.values():
        part.add_arguments(ap)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    chosen = [name for name in PARTS if getattr(args, name)] or list(PARTS)
    tmp = Path(tempfile.mkdtemp(prefix="lampio-bench-"))
    print(f"bench_calls: {', '.join(chosen)}; {os.cpu_count()} CPUs; "
          f"{time.strftime('%Y-%m-%d %H:%M:%S')}; project {common.ROOT}", flush=True)
    try:
        for name in chosen:
            started = time.perf_counter()
            with common.database(tmp / name, args.postgres) as url:
                PARTS[name].run(args, tmp / name, url)
            print(f"({name}: {time.perf_counter() - started:.0f} s)\n", flush=True)
        return 0
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
