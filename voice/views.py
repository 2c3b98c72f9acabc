"""Twilio webhooks: load the call, run one flow turn, answer TwiML. No prompts live here."""
from __future__ import annotations

import logging

from flask import Response, current_app, g, request, url_for
from werkzeug.exceptions import HTTPException

import ivr_flows
from sqlalchemy.orm import Session as DbSession

from catalogue.db import begin_write, get_db
from ivr_flows import prompts

from . import calls
from .security import public_url, twilio_signed
from .twiml import render

log = logging.getLogger(__name__)


class _Urls:
    def turn(self, event: str | None = None) -> str:
        return url_for("voice.turn", event=event) if event else url_for("voice.turn")

    def absolute(self, path: str) -> str:
        if path.startswith("http"):
            return path
        base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
        return (base or request.host_url.rstrip("/")) + path


def _twiml(reply: ivr_flows.engine.Reply, lang: str) -> Response:
    audio = current_app.extensions.get("lampio_audio")
    return Response(str(render(reply, lang, audio, _Urls())), mimetype="text/xml")


def _writing() -> DbSession:
    """The request's session, begun as a writer: every webhook saves the call's state."""
    db = get_db()
    begin_write(db)
    return db


def _done(ctx: ivr_flows.Ctx, reply: ivr_flows.engine.Reply) -> Response:
    """Save the state and commit here, inside the view, so that what the caller is about to hear
    is stored, and a failed commit becomes the spoken apology (not a 500 from after_request).
    The TwiML is rendered after the commit, outside the write lock."""
    calls.save(ctx)
    ctx.db.commit()
    return _twiml(reply, ctx.lang)


def _start(line: str) -> Response:
    ctx = calls.open_call(_writing(), request.form, line)
    g.lang = ctx.lang
    first = "provider_pin" if line == "provider" and ivr_flows.engine.has_node("provider_pin") \
        else ivr_flows.first_node(ctx)
    return _done(ctx, ivr_flows.start(ctx, first))


@twilio_signed
def incoming() -> Response:
    return _start("main")


@twilio_signed
def provider_incoming() -> Response:
    return _start("provider")


@twilio_signed
def turn() -> Response:
    ctx = calls.load_call(_writing(), request.form)
    g.lang = ctx.lang
    event = request.args.get("event", "input")
    if event == "restart":
        reply = ivr_flows.engine.enter(ctx, "main_menu")
    else:
        inp = ivr_flows.Input(digits=request.form.get("Digits", "").strip(),
                              speech=request.form.get("SpeechResult", ""),
                              event=event, params=request.form.to_dict())
        reply = ivr_flows.turn(ctx, inp)
    return _done(ctx, reply)


@twilio_signed
def status() -> Response:
    db = _writing()
    calls.close_call(db, request.form)
    db.commit()
    return Response("", status=204)


def _apology(lang: str, key: str) -> Response:
    """Static TwiML that needs no database: sorry, 0 for a person, 1 back to the main menu."""
    from twilio.twiml.voice_response import VoiceResponse

    from .twiml import SAY_VOICE, SPEECH_LANG

    lang = lang if lang in prompts.LANGUAGES else "fi"
    vr = VoiceResponse()
    choice = request.form.get("Digits", "") if request.args.get("choice") else ""
    staff = current_app.config.get("STAFF_PHONE_NUMBER")
    if choice == "0" and staff:
        vr.dial(staff, action=url_for("voice.turn", event="restart"), method="POST", timeout=25)
        return Response(str(vr), mimetype="text/xml")
    if choice:
        vr.redirect(url_for("voice.turn", event="restart"), method="POST")
        return Response(str(vr), mimetype="text/xml")
    gather = vr.gather(num_digits=1, timeout=7, input="dtmf",
                       action=url_for("voice.fallback", choice=1), method="POST")
    lines = prompts.segments(lang, key)
    lines += prompts.segments(lang, "errors.fallback_person" if staff else "errors.fallback_closed")
    for seg in lines:
        gather.say(language=SPEECH_LANG[lang], voice=SAY_VOICE[lang]).prosody(seg.text, rate="90%")
    vr.redirect(url_for("voice.fallback"), method="POST")
    return Response(str(vr), mimetype="text/xml")


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
