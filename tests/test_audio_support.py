"""Helpers for the audio tests: real audio files made with espeak-ng, sox and ffmpeg, a fake
Twilio media server on loopback and a fake HTTP client for the Twilio REST client."""
from __future__ import annotations

import base64
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from audio import storage as st


def espeak_wav(path: Path, text: str, voice: str = "en-gb") -> Path:
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(path), text], check=True,
                   capture_output=True)
    return path


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
                   check=True, capture_output=True)


def tone(path: Path, seconds: float, *, codec: list[str] | None = None, rate: int = 22050) -> Path:
    ffmpeg("-f", "lavfi", "-i", f"sine=frequency=440:sample_rate={rate}:duration={seconds}",
           "-ac", "1", *(codec or []), str(path))
    return path


def silence(path: Path, seconds: float, rate: int = 8000) -> Path:
    subprocess.run(["sox", "-n", "-r", str(rate), "-c", "1", "-b", "16", str(path), "trim", "0",
                    str(seconds)], check=True, capture_output=True)
    return path


def as_twilio_wav(src: Path, dest: Path) -> Path:
    """What Twilio serves for RecordingUrl + ".wav": 8 kHz mono µ-law."""
    ffmpeg("-i", str(src), "-ar", "8000", "-ac", "1", "-acodec", "pcm_mulaw", str(dest))
    return dest


def gtts_body(mp3: bytes) -> bytes:
    """A response shaped like Google's batchexecute answer that gTTS parses."""
    b64 = base64.b64encode(mp3).decode()
    return (")]}'\n\n" + '[["wrb.fr","jQ1olc","[\\"' + b64 + '\\"]",null,null,null,"generic"]]\n'
            ).encode()


class MediaServer:
    """A fake api.twilio.com serving recordings on 127.0.0.1, checking basic auth."""

    def __init__(self, sid: str, token: str) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[tuple[str, str, str | None]] = []
        expected = "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                auth = self.headers.get("Authorization")
                outer.requests.append(("GET", self.path, auth))
                if auth != expected:
                    self.send_response(401)
                    self.end_headers()
                    return
                body = outer.files.get(self.path)
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "audio/x-wav")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def add(self, path: str, body: bytes) -> str:
        """Serve ``body`` at ``path`` + ".wav"; returns the RecordingUrl (without extension)."""
        self.files[path + ".wav"] = body
        return self.base + path

    def __enter__(self) -> "MediaServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeTwilioHttp:
    """An ``http_client`` for ``twilio.rest.Client`` that records requests and answers 204."""

    def __init__(self) -> None:
        from twilio.http import HttpClient

        self.requests: list[tuple[str, str]] = []
        outer = self

        class _Client(HttpClient):
            def __init__(self) -> None:
                import logging

                super().__init__(logging.getLogger("fake-twilio"), is_async=False)

            def request(self, method: str, uri: str, params: Any = None, data: Any = None,
                        headers: Any = None, auth: Any = None, timeout: Any = None,
                        allow_redirects: bool = False) -> Any:
                from twilio.http.response import Response

                outer.requests.append((method, uri))
                return Response(204, "")

        self.client = _Client()


def test_helpers_make_valid_audio(tmp_path: Path) -> None:
    wav = espeak_wav(tmp_path / "a.wav", "Hello there")
    assert st.probe(wav).duration > 0.3
    mu = as_twilio_wav(wav, tmp_path / "b.wav")
    info = st.probe(mu)
    assert (info.codec, info.sample_rate) == ("pcm_mulaw", 8000)
    assert st.is_near_silent(silence(tmp_path / "s.wav", 3))
    assert not st.is_near_silent(mu)
