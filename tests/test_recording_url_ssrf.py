"""Recording downloads carry the account's credentials: a forged ``RecordingUrl`` (issue 11,
finding 5) or a redirect must never take them, or any request, to a host that is not allowed.
Checked against real local TLS listeners that record what reaches them."""
from __future__ import annotations

import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from audio.recordings import RecordingError, TwilioRecordings
from audio.storage import LocalStorage

SID, TOKEN = "AC" + "1" * 32, "secret-token"


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, made with the openssl CLI."""
    tmp = tmp_path_factory.mktemp("tls")
    crt, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(crt),
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    return crt, key


class TlsListener:
    """An https server on 127.0.0.1 that records each request's path and Authorization header;
    it answers ``redirect_to`` with a 302 when set, else 200 with a few bytes."""

    def __init__(self, cert: tuple[Path, Path]) -> None:
        self.seen: list[tuple[str, str | None]] = []
        self.redirect_to: str | None = None
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.seen.append((self.path, self.headers.get("Authorization")))
                if outer.redirect_to and not self.path.startswith("/final"):
                    self.send_response(302)
                    self.send_header("Location", outer.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", "5")
                self.end_headers()
                self.wfile.write(b"audio")

            def log_message(self, *args: Any) -> None:
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert[0]), str(cert[1]))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def listeners(cert: tuple[Path, Path]) -> Iterator[tuple[TlsListener, TlsListener]]:
    a, b = TlsListener(cert), TlsListener(cert)
    yield a, b
    a.close()
    b.close()


def _recordings(tmp_path: Path, cert: tuple[Path, Path],
                allowed: frozenset[str] = frozenset({"api.twilio.com"})) -> TwilioRecordings:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would win over ``verify``
    session.verify = str(cert[0])  # trust the test certificate, as a real CA would be trusted
    return TwilioRecordings(LocalStorage(str(tmp_path / "audio")), SID, TOKEN,
                            allowed_hosts=allowed, session=session, timeout=5, retries=1)


def test_backslash_userinfo_url_is_refused_and_nothing_reaches_the_listener(
        tmp_path: Path, cert: tuple[Path, Path],
        listeners: tuple[TlsListener, TlsListener]) -> None:
    evil, _ = listeners
    rec = _recordings(tmp_path, cert)
    for url in (f"https://127.0.0.1:{evil.port}\\@api.twilio.com/rec",
                f"https://127.0.0.1:{evil.port}/rec",
                f"https://api.twilio.com@127.0.0.1:{evil.port}/rec",
                f"https://x:y@127.0.0.1:{evil.port}/rec",
                f"http://127.0.0.1:{evil.port}/rec"):
        with pytest.raises(RecordingError):
            rec.fetch(url)
    assert evil.seen == []


def test_redirect_to_another_host_is_refused_without_sending_anything_there(
        tmp_path: Path, cert: tuple[Path, Path],
        listeners: tuple[TlsListener, TlsListener]) -> None:
    allowed, evil = listeners
    allowed.redirect_to = f"https://127.0.0.1:{evil.port}/final/rec.wav"
    rec = _recordings(tmp_path, cert, frozenset({"localhost"}))
    with pytest.raises(RecordingError):
        rec.fetch(f"https://localhost:{allowed.port}/rec")
    assert [path for path, _ in allowed.seen] == ["/rec.wav"]
    assert evil.seen == []  # no request at all, so no credentials either


def test_redirect_within_allowed_hosts_is_followed(
        tmp_path: Path, cert: tuple[Path, Path],
        listeners: tuple[TlsListener, TlsListener]) -> None:
    allowed, _ = listeners
    allowed.redirect_to = f"https://localhost:{allowed.port}/final/rec.wav"
    rec = _recordings(tmp_path, cert, frozenset({"localhost"}))
    dest = tmp_path / "got.wav"
    rec._download(rec._media_url(f"https://localhost:{allowed.port}/rec"), dest)
    assert dest.read_bytes() == b"audio"
    assert [path for path, _ in allowed.seen] == ["/rec.wav", "/final/rec.wav"]
    assert all(auth and auth.startswith("Basic ") for _, auth in allowed.seen)


def test_plain_http_only_for_an_allowed_loopback_host(tmp_path: Path,
                                                      cert: tuple[Path, Path]) -> None:
    rec = _recordings(tmp_path, cert, frozenset({"127.0.0.1", "media.example.fi"}))
    assert rec._media_url("http://127.0.0.1:8000/r/RE1") == "http://127.0.0.1:8000/r/RE1.wav"
    assert rec._media_url("https://media.example.fi/RE1.mp3") == "https://media.example.fi/RE1.mp3"
    for bad in ("http://media.example.fi/RE1", "http://localhost/RE1", "ftp://127.0.0.1/RE1",
                "https://api.twilio.com/RE1 ", "https://evil.example/twilio.com/RE1"):
        with pytest.raises(RecordingError):
            rec._media_url(bad)
