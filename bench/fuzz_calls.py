"""The webhooks fuzzed: 10,000 seeded, signed posts with odd input, and the counts.

The same fuzzing caller as ``tests/test_fuzz_calls.py`` (``voice.simulator_fuzz``), in process
over Flask's test client, on a fresh database with the demo programme (a temp SQLite file, or
with ``--postgres URL`` a private database on that server, dropped after). Prints the posts per
webhook, the status codes, apologies, hang-ups (and those of callers still on the line), invalid
XML and 5xx; exits 1 when any of the last three happened.

    PYTHONPATH=. .venv/bin/python bench/fuzz_calls.py                  # 10,000 posts, SQLite
    PYTHONPATH=. .venv/bin/python bench/fuzz_calls.py --posts 2000 --seed 7 --postgres $PG
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

from common import BASE, TOKEN, app_config, database, kind, prepare_database

from voice.simulator_fuzz import Fuzzer


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=10_000, help="signed posts (default 10000)")
    ap.add_argument("--seed", type=int, default=20261201, help="random seed")
    ap.add_argument("--postgres", metavar="URL", default=None, help="a PostgreSQL server")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # flow errors are counted as apologies, not shown
    from app import create_app

    tmp = Path(tempfile.mkdtemp(prefix="lampio-fuzz-"))
    with database(tmp, args.postgres) as url:
        prepare_database(tmp, url)
        app = create_app(app_config(tmp, url))
        client = app.test_client()

        def transport(path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
            resp = client.post(path, data=form, headers=headers, base_url=BASE)
            return resp.status_code, resp.get_data(as_text=True)

        started = time.perf_counter()
        counts = Fuzzer(transport, TOKEN, BASE, seed=args.seed).run(args.posts)
        seconds = time.perf_counter() - started
        app.extensions["lampio_engine"].dispose()
    print(f"fuzz on {kind(url)}: {counts.posts} posts in {seconds:.1f} s (seed {args.seed})")
    print("  per webhook: " + ", ".join(f"{p} {n}" for p, n in sorted(counts.endpoints.items())))
    print("  status codes: " + ", ".join(f"{s}: {n}" for s, n in sorted(counts.status.items())))
    print(f"  apologies: {counts.apologies} (for odd input on a real turn: "
          f"{len(counts.flow_apologies)})")
    print(f"  hang-ups: {counts.hangups} (of callers still on the line: {len(counts.bad_hangups)})")
    print(f"  invalid XML: {len(counts.invalid_xml)}")
    print(f"  5xx: {len(counts.server_errors)}")
    for line in (counts.server_errors + counts.invalid_xml + counts.bad_hangups
                 + counts.flow_apologies)[:10]:
        print("   ", line)
    if not args.keep:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"  kept {tmp}")
    return 0 if counts.ok else 1


if __name__ == "__main__":
    sys.exit(main())
