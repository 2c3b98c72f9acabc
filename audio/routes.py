"""Serving cached prompts and recordings to Twilio and the simulator.

Prompts are content-addressed, so they never change: a year's ``immutable`` caching and the key
as ETag. Recordings may be replaced or deleted after review, so they are revalidated. Range
requests and 304s come from ``send_file(conditional=True)``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, cast

from flask import Response, abort, current_app, jsonify, send_file

from . import storage as st
from .cache import KEY_RE, audio_name

if TYPE_CHECKING:
    from .service import AudioService

YEAR = 365 * 24 * 3600


def _svc() -> AudioService:
    return cast("AudioService", current_app.extensions["lampio_audio"])


def prompt(key: str, ext: str) -> Response:
    if not KEY_RE.match(key) or ext not in {st.SERVED_EXT, "json"}:
        abort(404)
    path = _svc().storage.path(audio_name(key, ext))
    if not path.is_file():
        abort(404)
    if ext == "json":
        resp = send_file(path, mimetype="application/json", conditional=True, etag=f"{key}-json",
                         max_age=YEAR)
    else:
        resp = send_file(path, mimetype=st.SERVED_MIMETYPE, conditional=True, etag=key,
                         max_age=YEAR)
    resp.cache_control.public = True
    resp.cache_control.immutable = True
    return resp


def recording(name: str, ext: str) -> Response:
    if len(name) != 32 or any(c not in "0123456789abcdef" for c in name) or ext != st.SERVED_EXT:
        abort(404)
    path = _svc().storage.path(f"recordings/{name}.{ext}")
    if not path.is_file():
        abort(404)
    resp = send_file(path, mimetype=st.SERVED_MIMETYPE, conditional=True, max_age=0)
    resp.cache_control.no_cache = True
    resp.cache_control.private = True
    return resp


def recording_info(name: str) -> Response:
    """Sidecar-like JSON for a recording, so the simulator can show something for it."""
    if len(name) != 32 or not _svc().storage.exists(f"recordings/{name}.{st.SERVED_EXT}"):
        abort(404)
    return jsonify({"text": "[recording]", "kind": "recording"})
