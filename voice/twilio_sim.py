"""Twilio's REST API stood in for on the embedded default (no real account).

``calls.create`` is answered as Twilio answers it, and the call is kept in
``instance/simulated_calls.jsonl``, one JSON object a line, with the webhook URLs the service
gave. ``lampio call --answer`` takes the next call placed to its number from here and plays it
through the same signed webhooks a real phone would reach (``voice.simulator_answer``).
Other requests (a room's participants API, say) are accepted with an empty resource.
"""
from __future__ import annotations

import fcntl
import json
import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from twilio.http import HttpClient
from twilio.http.response import Response

FILE_NAME = "simulated_calls.jsonl"


class CallStore:
    """The placed calls, shared by every process on this machine (a file lock guards it)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]

    def add(self, call: dict[str, Any]) -> None:
        with self._locked(), open(self.path, "a") as fh:
            fh.write(json.dumps(call) + "\n")

    def all(self) -> list[dict[str, Any]]:
        with self._locked():
            return self._read()

    def take_next(self, to_number: str) -> dict[str, Any] | None:
        """The oldest call to ``to_number`` nobody answered yet, now marked answered."""
        with self._locked():
            calls = self._read()
            found = next((c for c in calls if c["to"] == to_number and not c["answered"]), None)
            if found is not None:
                found["answered"] = True
                tmp = self.path.with_suffix(".tmp")
                tmp.write_text("".join(json.dumps(c) + "\n" for c in calls))
                tmp.replace(self.path)
            return found


class SimulatedTwilio(HttpClient):
    def __init__(self, store: CallStore) -> None:
        super().__init__(logging.getLogger("lampio.twilio_sim"), is_async=False)
        self.store = store

    @classmethod
    def for_app(cls, app: Flask) -> "SimulatedTwilio":
        return cls(CallStore(Path(app.instance_path) / FILE_NAME))

    def request(self, method: str, uri: str, params: Any = None, data: Any = None,
                headers: Any = None, auth: Any = None, timeout: Any = None,
                allow_redirects: bool = False) -> Response:
        form = dict(data or {})
        if method.upper() == "POST" and uri.endswith("/Calls.json"):
            sid = "CA" + uuid.uuid4().hex
            self.store.add({"sid": sid, "to": form.get("To"), "from": form.get("From"),
                            "url": form.get("Url"), "status_callback": form.get("StatusCallback"),
                            "machine_detection": form.get("MachineDetection"),
                            "created": time.time(), "answered": False})
            return Response(201, json.dumps({"sid": sid, "status": "queued", "to": form.get("To"),
                                             "from": form.get("From"), "direction": "outbound-api"}))
        if method.upper() == "DELETE":
            return Response(204, "")
        return Response(200, json.dumps({"sid": "SIM" + uuid.uuid4().hex[:29]}))
