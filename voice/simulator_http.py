"""The simulated phone over real HTTP: requests to the running service, ``<Play>`` texts from
the audio cache's sidecars, and a loopback server standing in for Twilio's recording storage.

Split from ``voice.simulator_cli``; ``bench/bench_calls.py`` uses ``http_transport`` (still
importable from ``voice.simulator_cli``).
"""
from __future__ import annotations

import threading
import uuid
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import click
import requests
from flask import Flask
from werkzeug.test import Client

from .sim_store import SimRooms
from .simulator import PlayText, SimulatedCall, Transport

DEFAULT_FROM = "+358912345678"  # a Helsinki landline
DEFAULT_TO = "+358942000000"


class ServiceUnavailable(click.ClickException):
    """Nothing answers at the base URL: most likely the server is not started."""

    def __init__(self, base_url: str) -> None:
        super().__init__(f"Nothing answers at {base_url}. Is the service running? "
                         "Start it with `python app.py` (or pass --url).")



def http_transport(base_url: str, session: requests.Session | None = None,
                   timeout: float = 30.0) -> Transport:
    """Form posts to the running service, the way Twilio sends them."""
    base = base_url.rstrip("/")
    http = session or requests.Session()

    def send(path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        try:
            resp = http.post(base + path, data=form, headers=headers, timeout=timeout,
                             allow_redirects=False)
        except requests.ConnectionError as exc:
            raise ServiceUnavailable(base) from exc
        return resp.status_code, resp.text

    return send


def wsgi_transport(app: Flask, base_url: str) -> Transport:
    """Form posts to the app's own webhooks in process (WSGI), as Twilio sends them (no
    cookies, no session): the browser phone's transport, which works behind any proxy."""
    client = Client(app, use_cookies=False)

    def send(path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        resp = client.post(path, data=form, headers=headers, base_url=base_url)
        try:
            return resp.status_code, resp.get_data(as_text=True)
        finally:
            resp.close()

    return send


def sidecar_reader(base_url: str, public_base: str, session: requests.Session | None = None,
                   timeout: float = 5.0) -> PlayText:
    """What a ``<Play>`` says: the audio cache writes ``<name>.json`` with ``text`` next to each
    file. A URL on the public host is read from the local server; a missing sidecar is fine."""
    base, public = base_url.rstrip("/"), public_base.rstrip("/")
    http = session or requests.Session()
    seen: dict[str, str | None] = {}

    def read(url: str) -> str | None:
        if url in seen:
            return seen[url]
        local = url
        for prefix in {public, base} - {""}:
            if url.startswith(prefix):
                local = base + url[len(prefix):]
        if local.startswith("/"):
            local = base + local
        parts = urlsplit(local)
        head, _, last = parts.path.rpartition("/")
        stem = last.rsplit(".", 1)[0] if "." in last else last
        sidecar = parts._replace(path=f"{head}/{stem}.json", query="").geturl()
        text: str | None = None
        try:
            resp = http.get(sidecar, timeout=timeout)
            if resp.ok:
                value = resp.json().get("text")
                text = value.strip() if isinstance(value, str) and value.strip() else None
        except (requests.RequestException, ValueError, AttributeError):
            text = None
        seen[url] = text
        return text

    return read


def http_call(base_url: str, auth_token: str, *, public_base: str = "",
              from_number: str = DEFAULT_FROM, to_number: str = DEFAULT_TO,
              session: requests.Session | None = None, play_text: bool = True,
              timeout: float = 30.0, rooms: SimRooms | None = None) -> SimulatedCall:
    """A ``SimulatedCall`` over HTTP to ``base_url``, signed for ``public_base`` (the URL Twilio
    would use; defaults to ``base_url``)."""
    http = session or requests.Session()
    sign_base = (public_base or base_url).rstrip("/")
    reader = sidecar_reader(base_url, sign_base, http) if play_text else None
    return SimulatedCall(http_transport(base_url, http, timeout), auth_token, sign_base,
                         from_number=from_number, to_number=to_number, play_text=reader,
                         rooms=rooms)


def _wav_seconds(path: Path) -> int:
    try:
        with wave.open(str(path)) as w:
            return max(1, round(w.getnframes() / float(w.getframerate())))
    except (wave.Error, OSError, EOFError, ZeroDivisionError):
        return 0


class RecordingServer:
    """Serves one local file on loopback for the duration of a call, as Twilio serves a
    ``RecordingUrl`` (the service must allow 127.0.0.1 as a recording host to fetch it)."""

    def __init__(self, path: Path, ext: str | None = None) -> None:
        data = path.read_bytes()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                self.send_response(200)
                self.send_header("Content-Type", "audio/wav" if path.suffix == ".wav" else "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_DELETE(self) -> None:  # noqa: N802 - the service deletes it after fetching
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        ext = (path.suffix or ".wav") if ext is None else ext  # "": as Twilio's RecordingUrl
        self.url = (f"http://127.0.0.1:{self.server.server_port}/2010-04-01/Accounts/AC{'0' * 32}"
                    f"/Recordings/RE{uuid.uuid4().hex}{ext}")
        self.seconds = _wav_seconds(path)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
