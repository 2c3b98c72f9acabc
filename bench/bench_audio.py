"""What the prompt cache buys: turn latency for a programme item with cached audio vs. with speech
rendered on the caller's path, and how long ``lampio audio render`` takes for the demo
programme, cold and warm.

Why these two: the issue's rule is that synthesis is never on the caller's path; the first
figure shows what breaking that rule would cost a caller at every turn, the second what keeping
it costs the operator (once, then almost nothing). Turns run in-process through Flask's test
client with the real webhooks, flows, database and signature checks, so the difference between
the two figures is the audio path alone.

    .venv/bin/python bench/bench_audio.py            # 15 turns each, espeak-ng
    .venv/bin/python bench/bench_audio.py --turns 5 --engines gtts,espeak
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from audio.service import AudioService  # noqa: E402
from catalogue.setup import prepare_database  # noqa: E402
from ivr_flows.reply import Segment  # noqa: E402
from tests.phone import Phone  # noqa: E402

TOKEN = "bench-auth-token-0123456789abcdef"
BASE = "https://bench.example.test"


class RenderOnPath:
    """The anti-pattern, for comparison: a turn whose audio is missing synthesises it at once."""

    def __init__(self, svc: AudioService) -> None:
        self.svc = svc

    def prompt_url(self, segment: Segment) -> str | None:
        if not segment.audio_path:
            self.svc.cache.render(segment.text, segment.lang)
        return self.svc.prompt_url(segment)

    def recording_url(self, audio_path: str) -> str:
        return self.svc.recording_url(audio_path)


def config(tmp: Path, engines: str) -> dict[str, Any]:
    return {"TESTING": True, "SCHEDULER": False, "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
            "AUDIO_DIR": str(tmp / "audio"), "TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": BASE,
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "SERVICE_PHONE_NUMBER": "+358942000000",
            "TTS_ENGINES": engines, "DEMO_DATA": True}


def item_turn(app: Any) -> tuple[float, int, str]:
    """One caller reaches the main menu, then times the turn "1" → the first programme item."""
    client = app.test_client()
    phone = Phone(client, TOKEN, BASE, from_number="+358912340000")
    phone.call()
    phone.press("1")  # Finnish (a new caller)
    started = time.perf_counter()
    turn = phone.press("1")  # this week's programme: the count and the first item
    elapsed = time.perf_counter() - started
    plays = sum(1 for el in turn.root.iter("Play")) if turn.root is not None else 0
    return elapsed, plays, turn.text


def clear_prompts(app: Any) -> None:
    shutil.rmtree(Path(app.config["AUDIO_DIR"]) / "prompts", ignore_errors=True)


def turns_on_path(app: Any, n: int) -> tuple[list[float], int]:
    """Every turn meets an empty cache (as right after a programme edit) and renders."""
    svc: AudioService = app.extensions["lampio_audio"]
    app.extensions["lampio_audio"] = RenderOnPath(svc)
    times: list[float] = []
    plays = 0
    try:
        for _ in range(n):
            clear_prompts(app)
            elapsed, plays, _ = item_turn(app)
            times.append(elapsed)
    finally:
        app.extensions["lampio_audio"] = svc
        clear_prompts(app)
    return times, plays


def turns_cached(app: Any, n: int) -> tuple[list[float], int]:
    """After ``lampio audio render``: a turn only looks files up."""
    item_turn(app)  # warm-up
    times: list[float] = []
    plays = 0
    for _ in range(n):
        elapsed, plays, _ = item_turn(app)
        times.append(elapsed)
    return times, plays


def run_render_cli(tmp: Path, engines: str) -> tuple[float, str]:
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}",
               AUDIO_DIR=str(tmp / "audio"), TTS_ENGINES=engines, SCHEDULER="0",
               TWILIO_AUTH_TOKEN=TOKEN)
    lampio = Path(sys.executable).with_name("lampio")
    cmd = [str(lampio)] if lampio.exists() else [sys.executable, "-c", "from app import cli; cli()"]
    started = time.perf_counter()
    proc = subprocess.run(cmd + ["audio", "render", "--no-progress"], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return time.perf_counter() - started, proc.stdout.strip().splitlines()[-1]


def ms(values: list[float]) -> str:
    return (f"median {statistics.median(values) * 1000:7.1f} ms   "
            f"p90 {sorted(values)[int(len(values) * 0.9) - 1 if len(values) > 1 else 0] * 1000:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=15)
    parser.add_argument("--engines", default="espeak", help="TTS_ENGINES (default: espeak)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="lampio-bench-audio-") as tmp_name:
        tmp = Path(tmp_name)
        app = create_app(config(tmp, args.engines))
        prepare_database(app, demo=True)

        print(f"TTS engines: {args.engines}; {os.cpu_count()} CPUs; {args.turns} turns each\n")
        on_path, plays_on_path = turns_on_path(app, args.turns)

        print("lampio audio render, demo programme (fixed prompts fi/sv/en + two weeks of items):")
        cold, cold_line = run_render_cli(tmp, args.engines)
        print(f"  cold  {cold:7.1f} s   {cold_line}")
        warm, warm_line = run_render_cli(tmp, args.engines)
        print(f"  warm  {warm:7.1f} s   {warm_line}")
        print(f"  cold / warm = {cold / warm:.0f}x\n")

        cached, plays_cached = turns_cached(app, args.turns)
        print("Turn latency, main menu → first programme item (webhook in, TwiML out):")
        print(f"  cached audio       {ms(cached)}   ({plays_cached} <Play>)")
        print(f"  rendering on path  {ms(on_path)}   ({plays_on_path} <Play>)")
        ratio = statistics.median(on_path) / statistics.median(cached)
        print(f"  ratio (median)     {ratio:.0f}x slower with synthesis on the caller's path")
        app.extensions["lampio_engine"].dispose()


if __name__ == "__main__":
    main()
