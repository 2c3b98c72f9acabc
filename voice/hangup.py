"""A call's end (Twilio's status callback), noted in this process's batch and answered in front
of Flask, as a kept turn is (``voice.turn_memo.answer_early``): it reads no database and writes
only when it finds the batch due, so Flask's request machinery was most of what it cost, one
webhook in every call. What the early path leaves (a bad signature, an unusual request) the
view answers, with the same function (``note_end``)."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response

from . import call_rows
from .calls import call_end, valid_sid
from .security import accepted
from .visits import VisitBuffer
from .webhook_request import WebhookRequest

log = logging.getLogger(__name__)
STATUS_PATH = "/voice/status"  # the blueprint's URL table takes it from here


def note_end(buffer: VisitBuffer, form: Mapping[str, str]) -> Response:
    """The call's end waits in the batch with its visits (``voice.visits``): a hang-up writes
    only when it finds the batch due, and then for every call that ended meanwhile."""
    if valid_sid(form):
        end = call_end(form)
        buffer.end(end, call_rows.ended_record(end, form))
        if buffer.due():
            buffer.flush()
    return Response("", status=204)


def answer_early(lean: Flask, environ: dict[str, Any]) -> Response | None:
    """The status callback's answer without Flask, when it is signed and a small form; None
    sends it on to the view (which refuses what is not signed)."""
    request = lean.request_class(environ)
    if not isinstance(request, WebhookRequest) or not request.small_form():
        return None
    try:
        if not accepted(request, lean.config):
            return None
        # Noting an end twice is noting it once (the batch keeps one end a CallSid).
        return note_end(lean.extensions["lampio_visits"], request.form)
    except Exception:  # noqa: BLE001 - outside Flask no error handler speaks: the view answers
        log.exception("a call's end could not be noted in front of Flask; the view notes it")
        return None
    finally:
        request.put_back_body()
