"""One answer for every caller at the same place: a reading turn's TwiML, kept for a few seconds.

Most turns walk the programme or the menus, and their answer depends only on the state the URL
carries (``callstate.pack`` leaves the call's own part out of the token, in ``w=``), the key
pressed, the minute, this process's programme, prompt audio and settings, and whether the
caller's number is known. Such a turn is worked out once; another caller at the same place
within ``TURN_MEMO_SECONDS`` gets the same TwiML with its own ``w=`` put in, its menu visits
noted under its own call and a language chosen (a first call's) kept on its own caller.

An answer is kept only when it was pure: no SQL statement ran while the flow worked it out (a
caller's news, a registration, a recording or the programme's reload all run some), it did not
ask who calls (``Ctx.personal``), heard no words, and its state travels in the URL. Entries are
keyed by the programme's stamp (the after-commit signal here, the change counter from another
process) and by the prompt audio found so far, so a change is never answered from an older
entry; the time limit bounds anything else. A kept answer is given in front of Flask
(``answer_early``, from ``voice.webhooks.dispatch``) when it can be.
"""
from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, Request, Response
from sqlalchemy import event
from sqlalchemy.orm import Session as DbSession

import ivr_flows
from ivr_flows.config import settings_key

from . import callstate
from .security import accepted
from .visits import VisitBuffer
from .webhook_request import WebhookRequest

log = logging.getLogger(__name__)
Key = tuple[Any, ...]
_PLAIN_ARGS = frozenset({"s", "w", "event"})  # a turn URL with anything else is not memoised
_NOT_PLAIN: dict[str, str] = {}


def _plain_query(raw: bytes) -> dict[str, str]:
    """``s``, ``w`` and ``event`` of a turn URL as ``voice.views`` writes it; ``_NOT_PLAIN``
    for any other query (another parameter, one twice, anything quoted)."""
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return _NOT_PLAIN
    if "%" in text or "+" in text:
        return _NOT_PLAIN
    out: dict[str, str] = {}
    for part in text.split("&"):
        name, _, value = part.partition("=")
        if name not in _PLAIN_ARGS or name in out:
            return _NOT_PLAIN
        out[name] = value
    return out


@dataclass(frozen=True)
class Entry:
    body: str  # the TwiML with ``TurnMemo.marker`` where the call's own ``w=`` goes
    nodes: tuple[str, ...]  # menu visits, noted under each call that gets this answer
    expires: float
    language: str | None = None  # a language chosen: kept on each known caller who gets it


class TurnMemo:
    def __init__(self, engine: Any, size: int, seconds: float) -> None:
        self.size, self.seconds = size, seconds
        # Letters, digits and ~ only: unchanged by URL building and XML escaping, and no
        # spoken text holds this process's random word.
        self.marker = f"~{secrets.token_hex(8)}~"
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        # Each state (``s=``) with an answer kept from it, and until when one may live: a turn
        # from any other state (a confirm, a read-back, a place no one else reached) skips the
        # key's work in front of Flask (a tenth of a confirm under load).
        self._states: dict[str, float] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self.hits = self.kept = 0
        event.listen(engine, "before_cursor_execute", self._statement)

    def _statement(self, *_: Any) -> None:
        self._local.n = getattr(self._local, "n", 0) + 1

    def statements(self) -> int:
        """SQL statements run by this thread so far: two readings around a flow tell whether
        it asked the database anything."""
        return int(getattr(self._local, "n", 0))

    def key(self, request: Request, args: dict[str, str], now: datetime,
            stamp: Callable[[], Key], base: str) -> Key | None:
        """The turn's key, or None when the turn cannot be memoised at all (words, a callback,
        a state kept in the database); ``args`` are the query's (``_plain_query``)."""
        form = request.form
        token, event = args.get("s", ""), args.get("event", "input")
        if args is _NOT_PLAIN or not token or token == "db" or not args.get("w") \
                or event not in ("input", "timeout") or "SpeechResult" in form:
            return None
        who = callstate.who_fields(args["w"])
        known = bool(who and (who.get("caller_id") or who.get("np")))  # as ``Ctx.caller_known``
        return (token, event, form.get("Digits", "").strip(), now.replace(second=0, microsecond=0),
                stamp(), request.script_root, base, known)

    def get(self, key: Key) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None or entry.expires < time.monotonic():
            return None
        self.hits += 1
        return entry

    def pure(self, ctx: ivr_flows.Ctx, mark: int) -> bool:
        return (not ctx.personal and not ctx.heard and not ctx.commits
                and self.statements() == mark)

    def may_hold(self, token: str) -> bool:
        """Whether an answer kept from the state ``token`` may still be live."""
        return self._states.get(token, 0.0) >= time.monotonic()

    def put(self, key: Key, body: str, nodes: tuple[str, ...],
            language: str | None = None) -> None:
        now = time.monotonic()
        with self._lock:
            self._entries[key] = Entry(body, nodes, now + self.seconds, language)
            self._entries.move_to_end(key)
            self._states[key[0]] = now + self.seconds  # the newest entry lives longest
            if len(self._states) > 2 * self.size:  # only the states of entries still held
                self._states = {k[0]: e.expires for k, e in self._entries.items()}
            self.kept += 1
            # Oldest first: drop what has expired, and anything over the size.
            while self._entries:
                oldest = next(iter(self._entries.values()))
                if oldest.expires >= now and len(self._entries) <= self.size:
                    break
                self._entries.popitem(last=False)

    def keep(self, key: Key, body: str, nodes: tuple[str, ...], who_text: str,
             language: str | None) -> Response:
        """Keep a worked-out answer (``body`` with the marker) and answer this call with it."""
        self.put(key, body, nodes, language)
        return Response(body.replace(self.marker, who_text), mimetype="text/xml")

    def entries(self) -> int:
        return len(self._entries)


def init_app(app: Flask) -> None:
    size = int(app.config.get("TURN_MEMO_SIZE", 0))
    if size > 0:
        app.extensions["lampio_turn_memo"] = TurnMemo(
            app.extensions["lampio_engine"], size, float(app.config.get("TURN_MEMO_SECONDS", 10)))


def of(app: Flask) -> TurnMemo | None:
    return app.extensions.get("lampio_turn_memo")


def keeping(app: Flask, plan: tuple[Key, int] | None,
            ctx: ivr_flows.Ctx) -> tuple[TurnMemo, Key] | None:
    """Where a worked-out turn's answer is kept: ``plan`` is its key and the statement count
    before the flow; None when there is no memo or the turn was not pure."""
    memo = of(app)
    if plan is None or memo is None or not memo.pure(ctx, plan[1]):
        return None
    return memo, plan[0]


def stamp(app: Flask, db: Callable[[], DbSession], now: datetime) -> Key:
    """What besides the URL a pure answer depends on in this process: the programme's copy,
    the prompt audio found so far, the flows' settings."""
    audio = app.extensions.get("lampio_audio")
    programme = app.extensions["lampio_programme"]
    return (programme.stamp_here(now) or programme.stamp(db(), now),
            audio.cache.memo.generation if audio is not None else -1, settings_key(app.config))


def turn_key(app: Flask, request: Request, now: datetime,
             db: Callable[[], DbSession]) -> Key | None:
    """The turn's key (None: not memoised). ``db`` is asked for a session only when the
    programme's change counter is due to be read."""
    memo = of(app)
    if memo is None:
        return None
    # The query split as our own URLs write it (nothing in it needs unquoting; any other is
    # not memoised), without Werkzeug's parsing.
    return memo.key(request, _plain_query(request.query_string), now,
                    lambda: stamp(app, db, now), app.config.get("PUBLIC_BASE_URL") or request.host_url)


def for_turn(app: Flask, request: Request,
             db: Callable[[], DbSession]) -> tuple[datetime, Key | None, Response | None]:
    """The view's turn: its instant, its key and the kept answer, as ``answer_early`` left
    them in front of Flask (it found none), or worked out here when it did not get so far."""
    from .calls import now as clock

    early = request.environ.get(EARLY_KEY)
    if early is not None:
        return early[0], early[1], None
    now = clock()
    key = turn_key(app, request, now, db)
    return now, key, kept_answer(app, request, key, now)


def kept_answer(app: Flask, request: Request, key: Key | None, now: datetime) -> Response | None:
    """The kept answer for this call, when there is one and the webhook is signed: its own
    ``w=`` in the URLs, its visits noted under it."""
    from .call_rows import note

    memo = of(app)
    entry = memo.get(key) if memo is not None and key is not None else None
    if entry is None or memo is None:
        return None
    who_text = _plain_query(request.query_string).get("w", "")
    who = check_who(who_text, request.form, app.config)
    if who is None or not accepted(request, app.config):
        return None  # the long way: a new start, or the refusal
    visits: VisitBuffer = app.extensions["lampio_visits"]
    note(visits, who, request.form, [(node, now) for node in entry.nodes], entry.language)
    if visits.due():
        visits.flush()
    return Response(entry.body.replace(memo.marker, who_text), mimetype="text/xml")


def check_who(who_text: str, form: Mapping[str, str],
              config: Mapping[str, Any]) -> dict[str, Any] | None:
    """``w=``'s fields (the call's record id, the caller's), when its fingerprint is this
    call's and this number's; None sends the turn the long way (which starts the call anew)."""
    from .calls import fingerprint_matches

    state = callstate.who_fields(who_text)
    if state is None or not fingerprint_matches(state, form, config):
        return None
    return state


class _Later(Exception):
    """The programme's change counter is due: the turn goes through Flask, which has a session."""


def _no_database() -> DbSession:
    raise _Later


EARLY_KEY = "lampio.turn_key"  # in the WSGI environ: the key worked out in front of Flask


def answer_early(lean: Flask, environ: dict[str, Any]) -> Response | None:
    """A kept answer served in front of Flask's request machinery (its contexts, routing and
    hooks were about 60 µs of a 0.28 ms kept turn): the same key, signature check and visits as
    the view's, from the same functions. A turn from a state nothing is kept from goes on to
    the view at once (``TurnMemo.may_hold``); one with no kept answer for its key goes on with
    that key in ``environ[EARLY_KEY]``; one that would need the database, or anything unusual,
    goes on without it, and the view does it all."""
    from .calls import now as clock
    from .calls import valid_sid

    memo = of(lean)
    query = environ.get("QUERY_STRING", "").encode("latin-1", "replace")
    if memo is None or not memo.may_hold(_plain_query(query).get("s", "")):
        return None  # nothing kept from this state: the view works the turn out (and keys it)
    request = lean.request_class(environ)
    if not isinstance(request, WebhookRequest) or not request.small_form():
        return None
    try:
        if not valid_sid(request.form):
            return None  # the view's apology
        now = clock()
        key = turn_key(lean, request, now, _no_database)
        environ[EARLY_KEY] = (now, key)
        return kept_answer(lean, request, key, now)
    except _Later:
        return None
    except Exception:  # noqa: BLE001 - outside Flask no error handler speaks: the view answers
        log.exception("a kept answer could not be given in front of Flask; the view answers")
        environ.pop(EARLY_KEY, None)
        return None
    finally:
        request.put_back_body()
