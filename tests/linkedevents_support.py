"""A local HTTP server for the import tests, and Linked Events pages built from the real
responses in ``tests/fixtures/linkedevents/`` (no test reaches the network)."""
from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "fixtures" / "linkedevents"
Reply = tuple[int, bytes, str]


def real_events() -> list[dict[str, Any]]:
    """The two events of the real list page, and the real event with its place included."""
    listed = json.loads((FIXTURES / "helsinki_event_list.json").read_text())["data"]
    one = json.loads((FIXTURES / "helsinki_event_include_location_keywords.json").read_text())
    return [*listed, one]


def event(n: int, start: datetime | date | None, *, hours: float | None = 2,
          status: str = "EventScheduled", name: str | None = None, **extra: Any) -> dict[str, Any]:
    """A copy of the real event (with its real place in Helsinki) with a new id and times."""
    raw = copy.deepcopy(real_events()[2])
    raw["id"] = f"helsinki:test{n}"
    raw["@id"] = f"https://api.hel.fi/linkedevents/v1/event/helsinki:test{n}/"
    raw["event_status"] = status
    if isinstance(start, datetime):
        raw["start_time"] = start.strftime("%Y-%m-%dT%H:%M:%SZ")
        raw["end_time"] = ((start + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
                           if hours is not None else None)
    else:
        raw["start_time"] = start.isoformat() if start else None
        raw["end_time"] = None
    if name is not None:
        raw["name"] = {"fi": name, "sv": name + " (sv)", "en": name + " (en)"}
    raw.update(extra)
    return raw


class Site:
    """What the local server answers: Linked Events pages by number, and other paths."""

    def __init__(self) -> None:
        self.pages: dict[int, Reply] = {}
        self.files: dict[str, Reply] = {}
        self.requests: list[str] = []
        self.base = ""

    def set_pages(self, pages: list[list[dict[str, Any]]], count: int | None = None) -> None:
        """Pages of events chained by ``meta.next``; page 1 answers the query URL itself."""
        total = count if count is not None else sum(len(p) for p in pages)
        self.pages = {}
        for i, data in enumerate(pages, start=1):
            nxt = f"{self.base}/v1/event/?page={i + 1}&keyword=yso%3Ap2433" if i < len(pages) else None
            prev = f"{self.base}/v1/event/?page={i - 1}" if i > 1 else None
            body = {"meta": {"count": total, "next": nxt, "previous": prev}, "data": data}
            self.pages[i] = (200, json.dumps(body).encode(), "application/json")

    def reply(self, path: str) -> Reply:
        self.requests.append(path)
        parts = urlsplit(path)
        if parts.path == "/v1/event/":
            page = int(parse_qs(parts.query).get("page", ["1"])[0])
            return self.pages.get(page, (404, b'{"detail": "Invalid page."}', "application/json"))
        return self.files.get(parts.path, (404, b"not found", "text/plain"))


@contextmanager
def serve(given: Site | None = None) -> Iterator[Site]:
    site = given or Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            status, body, kind = site.reply(self.path)
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
