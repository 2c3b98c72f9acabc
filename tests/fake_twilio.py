"""A fake Twilio REST transport for the tests: a ``twilio.http.HttpClient`` that records every
request and answers as Twilio does (calls created, conferences and participants updated), so no
test ever reaches the network (``TWILIO_HTTP_CLIENT``).

``responses`` queues status codes for the next requests (e.g. 429); ``log_path`` also appends
each created call to a file, for tests that run the call job in several processes.
"""
from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twilio.http import HttpClient
from twilio.http.response import Response


@dataclass
class Sent:
    method: str
    uri: str
    data: dict[str, Any]
    at: float  # time.time() when it was sent
    sid: str = ""

    @property
    def url(self) -> str:
        return self.uri


class RecordingTwilio(HttpClient):
    def __init__(self, log_path: Path | None = None) -> None:
        super().__init__(logging.getLogger("fake-twilio"), is_async=False)
        self.sent: list[Sent] = []
        self.responses: list[int] = []
        self.log_path = log_path
        self._lock = threading.Lock()

    @property
    def calls(self) -> list[Sent]:
        return [s for s in self.sent if s.method == "POST" and s.uri.endswith("/Calls.json")]

    def request(self, method: str, uri: str, params: Any = None, data: Any = None,
                headers: Any = None, auth: Any = None, timeout: Any = None,
                allow_redirects: bool = False) -> Response:
        with self._lock:
            sent = Sent(method.upper(), uri, dict(data or {}), time.time())
            self.sent.append(sent)
            status = self.responses.pop(0) if self.responses else 0
        if status >= 400:
            return Response(status, json.dumps({"code": 20429 if status == 429 else 20001,
                                                 "message": f"HTTP {status}", "status": status}))
        if "/Conferences/" in uri or sent.method == "DELETE":
            return self._room(sent)
        sent.sid = "CA" + uuid.uuid4().hex
        if self.log_path is not None:
            line = json.dumps({"pid": os.getpid(), "sid": sent.sid, "to": sent.data.get("To"),
                               "url": sent.data.get("Url"), "at": sent.at}) + "\n"
            with open(self.log_path, "a") as fh:  # O_APPEND: one line per write, whole
                fh.write(line)
        return Response(201, json.dumps({"sid": sent.sid, "status": "queued",
                                         "to": sent.data.get("To")}))

    @staticmethod
    def _room(sent: Sent) -> Response:
        """Conference and participant updates (the live console), and deletes."""
        if sent.method == "DELETE":
            return Response(204, "")
        conf = re.search(r"/Conferences/([^/]+)", sent.uri)
        call = re.search(r"/Participants/([^/.]+)", sent.uri)
        body: dict[str, Any] = {"account_sid": "AC" + "0" * 32,
                                "conference_sid": conf.group(1) if conf else None,
                                "sid": conf.group(1) if conf else None,
                                "call_sid": call.group(1) if call else "CA" + "f" * 32,
                                "muted": sent.data.get("Muted") == "true",
                                "status": sent.data.get("Status", "in-progress")}
        created = sent.method == "POST" and not call and "Participants" in sent.uri
        return Response(201 if created else 200, json.dumps(body))


RecordingHttpClient = RecordingTwilio  # the name the live-room tests use
