"""A fake Twilio REST transport for the tests: a ``twilio.http.HttpClient`` that records every
request and answers ``calls.create`` as Twilio does, so no test ever reaches the network.

``responses`` queues status codes for the next requests (e.g. 429); ``log_path`` also appends
each created call to a file, for tests that run the call job in several processes.
"""
from __future__ import annotations

import json
import logging
import os
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
            status = self.responses.pop(0) if self.responses else 201
        if status >= 400:
            return Response(status, json.dumps({"code": 20429 if status == 429 else 20001,
                                                 "message": f"HTTP {status}", "status": status}))
        sent.sid = "CA" + uuid.uuid4().hex
        if self.log_path is not None:
            line = json.dumps({"pid": os.getpid(), "sid": sent.sid, "to": sent.data.get("To"),
                               "url": sent.data.get("Url"), "at": sent.at}) + "\n"
            with open(self.log_path, "a") as fh:  # O_APPEND: one line per write, whole
                fh.write(line)
        return Response(201, json.dumps({"sid": sent.sid, "status": "queued",
                                         "to": sent.data.get("To")}))
