"""Twilio's REST API stood in for on the embedded default (no real account).

``calls.create`` is answered as Twilio answers it, and the call is kept in
``instance/simulated_calls.jsonl``, one JSON object a line, with the webhook URLs the service
gave. ``lampio call --answer`` takes the next call placed to its number from here and plays it
through the same signed webhooks a real phone would reach (``voice.simulator_answer``).
A room's participants API (``voice.room_control``) acts on the simulator's shared rooms
(``voice.sim_store``, ``instance/simulated_rooms.json``), so a listener's ``lampio call`` hears
the console's unmute, removal and end; a participant created by the API is a placed call that
``lampio call --answer`` picks up straight into the room. Other requests get an empty resource.
"""
from __future__ import annotations

import fcntl
import json
import logging
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from twilio.http import HttpClient
from twilio.http.response import Response

from .sim_store import SimRooms

FILE_NAME = "simulated_calls.jsonl"
_ACCOUNT = "AC" + "0" * 32


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


_ROOM = re.compile(r"/Conferences/(?P<conf>[^/]+?)"
                   r"(?P<list>/Participants(?:/(?P<call>[^/]+?))?)?\.json$")
_NOT_FOUND = json.dumps({"code": 20404, "message": "The requested resource was not found",
                         "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404})
# participants.create's form fields -> the <Conference> attribute the simulated phone reads
_JOIN_FIELDS = {"StartConferenceOnEnter": "startConferenceOnEnter",
                "EndConferenceOnExit": "endConferenceOnExit", "Muted": "muted", "Beep": "beep",
                "ConferenceStatusCallback": "statusCallback", "ConferenceRecord": "record",
                "ConferenceRecordingStatusCallback": "recordingStatusCallback"}


LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def simulate_media(app: Flask, recordings: Any) -> None:
    """On the embedded default recordings come from the simulator's loopback server
    (``RecordingServer``) and are "deleted at Twilio" here: with no account there are no
    credentials that a loopback URL could collect."""
    from .twilio_rest import SIMULATED_ACCOUNT

    recordings.allowed_hosts = frozenset(recordings.allowed_hosts | LOOPBACK)
    recordings.account_sid = recordings.account_sid or SIMULATED_ACCOUNT
    recordings.http_client = SimulatedTwilio.for_app(app)


def _one(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


class SimulatedTwilio(HttpClient):
    def __init__(self, store: CallStore, rooms: SimRooms | None = None) -> None:
        super().__init__(logging.getLogger("lampio.twilio_sim"), is_async=False)
        self.store = store
        self.rooms = rooms or SimRooms()

    @classmethod
    def for_app(cls, app: Flask) -> "SimulatedTwilio":
        return cls(CallStore(Path(app.instance_path) / FILE_NAME),
                   SimRooms.in_folder(app.instance_path))

    def request(self, method: str, uri: str, params: Any = None, data: Any = None,
                headers: Any = None, auth: Any = None, timeout: Any = None,
                allow_redirects: bool = False) -> Response:
        form = {k: _one(v) for k, v in dict(data or {}).items()}
        method = method.upper()
        if method == "POST" and uri.endswith("/Calls.json"):
            sid = self._place(form)
            return Response(201, json.dumps({"sid": sid, "status": "queued", "to": form.get("To"),
                                             "from": form.get("From"), "direction": "outbound-api"}))
        room = _ROOM.search(uri)
        if room is not None:
            if room.group("list") and not room.group("call"):
                return self._join(method, room.group("conf"), form)
            return self._room(method, room.group("conf"), room.group("call"), form)
        if method == "DELETE":
            return Response(204, "")
        return Response(200, json.dumps({"sid": "SIM" + uuid.uuid4().hex[:29]}))

    def _place(self, form: dict[str, Any], conference: dict[str, str] | None = None) -> str:
        sid = "CA" + uuid.uuid4().hex
        self.store.add({"sid": sid, "to": form.get("To"), "from": form.get("From"),
                        "url": form.get("Url"), "status_callback": form.get("StatusCallback"),
                        "machine_detection": form.get("MachineDetection"),
                        "conference": conference, "created": time.time(), "answered": False})
        return sid

    def _join(self, method: str, ref: str, form: dict[str, Any]) -> Response:
        """``participants.create``: Twilio calls ``To`` and puts the answered call into the
        room; here the call waits for ``lampio call --answer`` like any placed call."""
        if method != "POST":
            return Response(200, json.dumps({"participants": [], "meta": {"key": "participants"}}))
        conference = {attr: str(form[name]) for name, attr in _JOIN_FIELDS.items()
                      if form.get(name) not in (None, "")}
        conference["name"] = ref
        placed = self._place(form, conference)
        return Response(201, json.dumps(self._participant(self.rooms.conference(ref), placed,
                                                          form, "queued")))

    def _room(self, method: str, ref: str, call_sid: str | None,
              form: dict[str, Any]) -> Response:
        """The conference and participants resources, as Twilio answers them."""
        conf = self.rooms.conference(ref)
        if conf is None:
            return Response(404, _NOT_FOUND)
        if call_sid is None:  # the conference itself: Status=completed ends it
            if form.get("Status") == "completed":
                self.rooms.end(conf["sid"], claim=False)
            return Response(200, json.dumps({
                "sid": conf["sid"], "friendly_name": conf["name"], "account_sid": _ACCOUNT,
                "status": "completed" if form.get("Status") == "completed" else "in-progress"}))
        if method == "DELETE":
            return Response(204, "") if self.rooms.remove(ref, call_sid) else \
                Response(404, _NOT_FOUND)
        if "Muted" in form and not self.rooms.set_muted(ref, call_sid, form["Muted"] == "true",
                                                        str(form.get("AnnounceUrl") or "")):
            return Response(404, _NOT_FOUND)
        return Response(200, json.dumps(self._participant(conf, call_sid, form, "connected")))

    @staticmethod
    def _participant(conf: dict[str, Any] | None, call_sid: str, form: dict[str, Any],
                     status: str) -> dict[str, Any]:
        member = (conf or {}).get("members", {}).get(call_sid, {})
        return {"account_sid": _ACCOUNT, "call_sid": call_sid, "label": form.get("Label"),
                "conference_sid": conf["sid"] if conf else None, "status": status,
                "muted": form.get("Muted", str(member.get("muted", False)).lower()) == "true",
                "hold": False, "coaching": False, "start_conference_on_enter":
                    form.get("StartConferenceOnEnter") == "true",
                "end_conference_on_exit": form.get("EndConferenceOnExit") == "true"}
