"""A Twilio REST http client for tests: records every request, answers like Twilio, and never
reaches the network (``TWILIO_HTTP_CLIENT``)."""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from twilio.http import HttpClient
from twilio.http.response import Response


@dataclass
class Sent:
    method: str
    url: str
    data: dict[str, Any] = field(default_factory=dict)


class RecordingHttpClient(HttpClient):
    def __init__(self) -> None:
        super().__init__(logging.getLogger("tests.fake_twilio"), is_async=False)
        self.sent: list[Sent] = []

    def request(self, method: str, url: str, params: Any = None, data: Any = None,
                headers: Any = None, auth: Any = None, timeout: Any = None,
                allow_redirects: bool = False) -> Response:
        self.sent.append(Sent(method.upper(), url, dict(data or {})))
        if method.upper() == "DELETE":
            return Response(204, "")
        conf = re.search(r"/Conferences/([^/]+)", url)
        call = re.search(r"/Participants/([^/.]+)", url)
        body: dict[str, Any] = {"account_sid": "AC" + "0" * 32,
                                "conference_sid": conf.group(1) if conf else None,
                                "sid": conf.group(1) if conf else None,
                                "call_sid": call.group(1) if call else "CA" + "f" * 32,
                                "muted": (data or {}).get("Muted") == "true",
                                "status": (data or {}).get("Status", "in-progress")}
        return Response(201 if method.upper() == "POST" and not call and "Participants" in url
                        else 200, json.dumps(body))
