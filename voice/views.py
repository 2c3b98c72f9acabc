"""Twilio webhooks: load the call, run one flow turn, answer TwiML. No prompts live here."""
from __future__ import annotations

import logging
from typing import Callable

from flask import Response, current_app, g, request, url_for
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

import ivr_flows
from catalogue.db import begin_write, commit_pending, get_db
from ivr_flows import prompts
from ivr_flows.reply import Gather, Reply

from . import callstate, calls, hangup, media_stream, turn_memo
from .security import public_url, twilio_signed
from .twiml import render

log = logging.getLogger(__name__)
TURN_PATH = "/voice/turn"  # the blueprint's URL table says the same (voice/blueprint.py)
ASSISTANT_LINE = "assistant"  # call_log.line of the voice assistant's calls


class _Urls:
    """Turn URLs for one reply; ``token`` is the call's state for the next webhook.

    Written by hand rather than with ``url_for`` (a fifth of a programme turn went to building
    these): the event names are fixed words and the token is URL-safe base64 or ``db``, so
    nothing needs quoting, nor does ``lang`` (fi, sv, en); ``tests/test_twiml_fast.py`` checks
    the result equals ``url_for``'s.
    """

    def __init__(self, token: str | None = None, lang: str | None = None, who: str = "") -> None:
        self.token = token
        self.lang = lang
        self.who = who  # the call's own part of the state (``callstate.who``), beside the token
        self.path = request.script_root + TURN_PATH
        self._base: str | None = None

    def turn(self, event: str | None = None) -> str:
        query = f"event={event}" if event else ""
        if self.token:
            query = f"{query}&s={self.token}" if query else f"s={self.token}"
            if self.token == callstate.IN_DATABASE and self.lang:
                query += f"&l={self.lang}"  # for the fallback, which must not need the database
            elif self.who:
                query += f"&w={self.who}"
        return f"{self.path}?{query}" if query else self.path

    def absolute(self, path: str) -> str:
        if path.startswith("http"):
            return path
        if self._base is None:  # once per reply, not once per sentence
            base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
            self._base = base or request.host_url.rstrip("/")
        return self._base + path


def _twiml(reply: Reply, lang: str, token: str | None = None,
           listen: media_stream.Listen | None = None, who: str = "") -> Response:
    return Response(_twiml_text(reply, lang, token, listen, who), mimetype="text/xml")


def _twiml_text(reply: Reply, lang: str, token: str | None, listen: media_stream.Listen | None,
                who: str) -> str:
    audio = current_app.extensions.get("lampio_audio")
    urls = _Urls(token, lang, who)
    lead = media_stream.listen_xml(listen, urls.turn(), lang, media_stream.stream_url(
        current_app)) if listen is not None else ""
    return render(reply, lang, audio, urls, lead)


def _finish(ctx: ivr_flows.Ctx, reply: Reply, stored: bool = False,
            memo: tuple[turn_memo.Key, int] | None = None) -> Response:
    """Put the state where the next webhook finds it, commit here, inside the view (what the
    caller is about to hear is stored; a failed commit becomes the spoken apology, not a 500),
    then render the TwiML outside any lock. Should a URL's state ever be unreadable, the call
    carries on from the main menu (``calls.load_call``). A turn whose state came
    from the record (``stored``) and now travels in the URL writes it back when the record held
    a typed number: the number is kept no longer than the turns that need it. A pure turn's
    answer (``memo``: its key and the statement count before the flow) is kept for others."""
    ctx.state["started"] = 1
    reply, listen = media_stream.plan(current_app, ctx.state, ctx.lang, reply)
    token = callstate.pack(ctx.state)
    if token is None or (stored and calls.holds_private(ctx)):
        if not ctx.commits:
            begin_write(ctx.db)  # a reading turn (a service may have committed): queue fairly
        calls.save(ctx)
    commit_pending(ctx.db)
    # Only after the commit: another request's transaction (a hang-up writes the batch) must
    # never insert visits of a call whose record is not committed yet (PostgreSQL's foreign key).
    keep = turn_memo.keeping(current_app, memo, ctx) if token and listen is None else None
    nodes, chosen = tuple(node for node, _ in ctx.visits), ctx.language_chosen
    calls.note_visits(ctx, request.form)
    buffer = calls.visit_buffer()
    if buffer.due():
        buffer.flush()
    reply.slow = bool(ctx.state.get("slow"))
    who = callstate.who(ctx.state)
    if keep is None:
        return _twiml(reply, ctx.lang, token or callstate.IN_DATABASE, listen, who)
    return keep[0].keep(keep[1], _twiml_text(reply, ctx.lang, token, None, keep[0].marker),
                        nodes, who, chosen)


def _with_retry(run: Callable[[bool], Response], writer: bool) -> Response:
    """Run a turn; on SQLite a reading turn that turned out to write can meet another writer's
    newer snapshot ("database is locked"): then it is run again from the start as a writer."""
    try:
        return run(writer)
    except OperationalError as exc:
        db = get_db()
        if writer or db.get_bind().dialect.name != "sqlite" or "locked" not in str(exc):
            raise
        db.rollback()
        return run(True)


def _odd_call() -> Response | None:
    """A CallSid that cannot be Twilio's: a spoken apology with a way on (0 a person), and not
    a single database read or write (PostgreSQL would refuse a NUL byte or 65 characters on
    every turn)."""
    if calls.valid_sid(request.form):
        return None
    log.warning("webhook %s with a CallSid that is not Twilio's: apology only", request.path)
    return _apology("fi", "errors.apology")


def _start(line: str) -> Response:
    odd = _odd_call()
    if odd is not None:
        return odd

    def run(writer: bool) -> Response:
        db = get_db()
        if writer:  # else a main-line call with a number only reads (``calls.open_call``)
            begin_write(db)
        ctx = calls.open_call(db, request.form, line)
        g.lang = ctx.lang
        first = "provider_pin" if line == "provider" and ivr_flows.engine.has_node("provider_pin") \
            else ivr_flows.first_node(ctx)
        return _finish(ctx, ivr_flows.start(ctx, first))

    return _with_retry(run, False)


@twilio_signed
def incoming() -> Response:
    return _start("main")


@twilio_signed
def provider_incoming() -> Response:
    return _start("provider")


def _confidence(raw: str | None) -> float | None:
    """Twilio's ``Confidence`` (0.0-1.0) of the words; None when it is missing or not a number
    (the words are then taken as they are)."""
    try:
        value = float(raw) if raw else None
    except ValueError:
        return None
    return value if value is not None and 0.0 <= value <= 1.0 else None


@twilio_signed
def assistant_incoming() -> Response:
    """The voice assistant's call (``lampio assistant``): the main line's flows, with a call
    log of its own channel."""
    return _start(ASSISTANT_LINE)


@twilio_signed
def turn() -> Response:
    odd = _odd_call()
    if odd is not None:
        return odd
    memo = turn_memo.of(current_app)
    now, key, kept = turn_memo.for_turn(current_app, request, get_db)
    if kept is not None:
        return kept  # another caller's same turn, answered a moment ago
    token, who = request.args.get("s", ""), request.args.get("w", "")
    carried = callstate.unpack(token, who)
    event = request.args.get("event", "input")
    # Words Vosk heard on the Media Stream come in the URL of the call update (media_stream).
    vosk = request.args.get("heard") == "vosk"
    heard = request.args if vosk else request.form
    inp = ivr_flows.Input(digits="" if vosk else request.form.get("Digits", "").strip(),
                          speech=heard.get("said" if vosk else "SpeechResult", ""),
                          event=event, params=request.form.to_dict(),
                          confidence=_confidence(heard.get("c" if vosk else "Confidence")))
    key = key if carried is not None else None

    attempts: list[bool] = []

    def run(writer: bool) -> Response:
        db = get_db()
        if writer:
            begin_write(db)
        # A fresh state for each attempt: a retried turn starts again from what the URL carried.
        state = callstate.unpack(token, who) if attempts else carried
        attempts.append(writer)
        ctx = calls.load_call(db, request.form, state)
        ctx.commits = writer  # else a service takes the lock for its own unit (a confirm)
        g.lang = ctx.lang
        mark = memo.statements() if memo is not None else 0
        if key is not None:
            ctx.now = now  # the instant the key names
        if event == "restart":
            reply = ivr_flows.engine.enter(ctx, "main_menu")
        else:
            reply = ivr_flows.turn(ctx, inp)
        return _finish(ctx, reply, stored=state is None,
                       memo=(key, mark) if key is not None and not writer else None)

    # Nodes that write (registration, a person, the provider line) begin as writers at once,
    # and so does a state kept in the database (it is read, then written back).
    writer = carried is None or ivr_flows.engine.current_node(carried).writes
    return _with_retry(run, writer)


@twilio_signed
def status() -> Response:
    """Usually answered in front of Flask (``voice.hangup``); here when that left it."""
    return hangup.note_end(calls.visit_buffer(), request.form)


class _FallbackUrls(_Urls):
    """The apology's ways on: a key comes back to the fallback, which transfers (0) or starts
    the call again in the main menu; silence asks again."""

    def __init__(self, restart: bool) -> None:
        super().__init__()
        self.restart = restart

    def turn(self, event: str | None = None) -> str:
        if event == "dial" or self.restart:
            return url_for("voice.turn", event="restart")
        return url_for("voice.fallback", choice=1) if event is None else url_for("voice.fallback")


def _apology(lang: str | None, key: str) -> Response:
    """Static TwiML that needs no database: sorry, 0 for a person, 9 (any other key) back to the
    main menu. Without a known language it is said briefly in all three."""
    langs = [lang] if lang in prompts.LANGUAGES else list(prompts.LANGUAGES)
    lang = langs[0]
    choice = request.form.get("Digits", "") if request.args.get("choice") else ""
    staff = current_app.config.get("STAFF_PHONE_NUMBER")
    if choice == "0" and staff:
        reply = Reply(dial=staff)
    elif choice:
        reply = Reply()
    else:
        lines = []
        for each in langs:
            lines += prompts.segments(each, key)
            lines += prompts.segments(each, "errors.fallback_person" if staff
                                      else "errors.fallback_closed")
        reply = Reply(speech=lines, gather=Gather(num_digits=1, timeout=7, speech=False))
    return Response(render(reply, lang, None, _FallbackUrls(restart=bool(choice))),
                    mimetype="text/xml")


@twilio_signed
def fallback() -> Response:
    return _apology(calls.language_hint(request.form), "errors.fallback")


def on_error(exc: Exception) -> Response | HTTPException:
    """Any exception inside a flow becomes a spoken apology with a way on, never a 500."""
    if isinstance(exc, HTTPException):
        return exc
    log.exception("flow error on %s", public_url())
    db = g.pop("db", None)
    if db is not None:
        db.rollback()
        db.close()
    return _apology(g.get("lang", "fi"), "errors.apology")
