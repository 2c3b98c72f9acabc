"""The webhooks' request: Twilio's small url-encoded posts parsed without Werkzeug's stream
machinery, and readable twice (in front of Flask, then by the view)."""
from __future__ import annotations

import io
from urllib.parse import parse_qsl

from flask import Request

SMALL_FORM = 64 << 10  # bytes; Twilio's posts are a kilobyte or two


class WebhookRequest(Request):
    """Parsed as Werkzeug parses them (``parse_qsl``, the same error handler): about 15 µs of
    the 50 it took. Anything else (no length, too long, another type) goes to Werkzeug's
    parser, with its limits."""

    def small_form(self) -> bool:
        length = self.content_length
        return self.mimetype == "application/x-www-form-urlencoded" and length is not None \
            and length <= SMALL_FORM

    def _load_form_data(self) -> None:
        if "form" in self.__dict__ or not self.small_form():
            super()._load_form_data()
            return
        body = self.get_data(cache=True).decode("utf-8", "replace")
        self.__dict__["form"] = self.parameter_storage_class(
            parse_qsl(body, keep_blank_values=True, errors="werkzeug.url_quote"))
        self.__dict__["files"] = self.parameter_storage_class()

    def put_back_body(self) -> None:
        """After a small form was read here, the next request made of the same environ (the
        view's, after ``voice.turn_memo.answer_early``) reads the same bytes."""
        if self.small_form():
            self.environ["wsgi.input"] = io.BytesIO(self.get_data(cache=True))
