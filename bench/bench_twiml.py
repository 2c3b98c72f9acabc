"""Microseconds to render one reply as TwiML: the twilio builder against the string renderer.

Why: the builder cost about 7% of a call turn (bench_calls.py). Both renderers run in the same
process, interleaved reply by reply, over replies shaped like the flows' own (menus with hints,
programme items with pauses, recorded audio, record, transfer), so the ratio is fair even on a busy
machine.

    .venv/bin/python bench/bench_twiml.py              # 20 000 renders each
    .venv/bin/python bench/bench_twiml.py --n 2000
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ivr_flows import prompts  # noqa: E402
from ivr_flows.reply import Gather, Record, Reply, Segment  # noqa: E402
from voice import twiml  # noqa: E402


class Audio:
    """Every other sentence comes from the audio cache, as after a partial pre-render."""

    def prompt_url(self, segment: Segment, slow: bool = False) -> str | None:
        return f"/audio/p/{hash(segment.text) & 0xffff:x}.mp3" if len(segment.text) % 2 else None

    def recording_url(self, audio_path: str) -> str:
        return f"/audio/r/{audio_path}?v=1&s=ab12"


class Urls:
    def turn(self, event: str | None = None) -> str:
        return f"/voice/turn?event={event}" if event else "/voice/turn"

    def absolute(self, path: str) -> str:
        return path if path.startswith("http") else "https://phone.example.test" + path


def replies() -> list[Reply]:
    menu = [Segment(t, "fi") for t in prompts.all_fixed_prompts("fi")[:6]]
    item = [Segment("Tiistaina 1. joulukuuta kello 14.30.", "fi", pause=0.7),
            Segment("Runot & laulut – Tampereen Teatteri.", "fi"),
            Segment("Puhelinesitys, kuusikymmentä minuuttia.", "fi"),
            Segment("", "fi", audio_path="prov/3.wav")]
    hints = prompts.words("fi", "yes") + prompts.words("fi", "no")
    return [
        Reply(list(menu), gather=Gather(hints=hints)),
        Reply(list(item), gather=Gather(hints=hints, timeout=8)),
        Reply([Segment("Näppäile koodi ja risuaita.", "fi")],
              gather=Gather(num_digits=None, finish_on_key="#", speech=False)),
        Reply([Segment("Puhu äänimerkin jälkeen.", "fi")], record=Record()),
        Reply([Segment("Yhdistän sinut.", "fi")], dial="+358901234567"),
        Reply([Segment("Kiitos soitosta. Hei hei!", "fi")], hangup=True),
    ]


def measure(n: int) -> dict[str, list[float]]:
    cases = replies()
    audio, urls = Audio(), Urls()
    renderers: dict[str, Callable[[Reply], str]] = {
        "builder": lambda r: str(twiml.render_builder(r, "fi", audio, urls)),
        "string": lambda r: twiml.render(r, "fi", audio, urls),
    }
    for r in cases:  # same output, and a warm-up
        assert renderers["builder"](r) == renderers["string"](r)
    times: dict[str, list[float]] = {name: [] for name in renderers}
    clock = time.perf_counter_ns
    for i in range(n):
        r = cases[i % len(cases)]
        for name, fn in renderers.items():
            t0 = clock()
            fn(r)
            times[name].append((clock() - t0) / 1000)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=20000, help="renders per renderer")
    args = ap.parse_args()
    times = measure(args.n)
    print(f"{'renderer':<9} {'mean µs':>9} {'p99 µs':>9}   ({args.n} replies, "
          f"{len(replies())} shapes)")
    means = {}
    for name, ts in times.items():
        means[name] = statistics.fmean(ts)
        p99 = statistics.quantiles(ts, n=100)[98]
        print(f"{name:<9} {means[name]:>9.1f} {p99:>9.1f}")
    print(f"string is {means['builder'] / means['string']:.1f}x faster")


if __name__ == "__main__":
    main()
