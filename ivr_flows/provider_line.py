"""The provider recording line: sign in, pick one of your events, record its description.

Its own number starts here (``provider_pin``); the callers' main menu has no hidden way in.
The provider is identified by their provider number and a PIN stored hashed; the tries are
counted and locked in ``provider_pin`` (DESIGN §6). The recording is fetched from Twilio into our
storage by the audio package (given to us as a plain callable so the flows stay free of Flask
and HTTP), played back, and kept only when the provider presses 1 — then it awaits review.
"""
from __future__ import annotations

import logging

from sqlalchemy import select

from catalogue.models import AudioDescription, Event
from catalogue import descriptions

from . import prompts, speak
from .engine import Ctx, Finish, Goto, Input, Node, NoMatch, Outcome, node
from .matching import chosen_key, typed_number
from .nodes import number_gather
from .ports import Fetched
from .main_menu import chosen_language
from .reply import Gather, Record, Reply, Segment

MAX_EMPTY_TAKES = 3
RECORD = Record(max_length=180, finish_on_key="#")
REVIEW_WORDS = {"1": "provider.keep", "2": "provider.again", "3": "provider.cancel"}
Status = AudioDescription.Status
log = logging.getLogger("lampio.provider_line")


def signed_in(ctx: Ctx) -> int | None:
    """The provider this call has signed in as (after the PIN), or None."""
    pid = ctx.state.get("provider_id")
    return int(pid) if pid else None


# ---- 1. provider number and PIN: ivr_flows/provider_pin.py ---------------------------------

# ---- 2. which event ----------------------------------------------------------------------

@node
class ProviderEvent(Node):
    name = "provider_event"
    writes = True
    allows_person_key = False

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        if signed_in(ctx) is None:
            return Goto("provider_pin")
        return ctx.say("provider.ask_code")

    def gather(self, ctx: Ctx) -> Gather:
        return number_gather(ctx.lang)

    def handle(self, ctx: Ctx, inp: Input) -> Outcome:
        pid = signed_in(ctx)
        if pid is None:
            return Goto("provider_pin")
        code = typed_number(inp.digits, inp.speech, ctx.lang)
        if not code:
            return NoMatch()
        spoken = speak.digits(code, ctx.lang)
        event = ctx.db.scalar(select(Event).where(Event.code == code))
        if event is None:
            return NoMatch(ctx.say("provider.unknown_code", code=spoken))
        if event.provider_id != pid:
            return NoMatch(ctx.say("provider.not_yours", code=spoken))
        return Goto("provider_lang", {"event_id": event.id},
                    preface=ctx.say("provider.event_found", title=event.text("title", ctx.lang)))


# ---- 3. the language of the description ----------------------------------------------------

@node
class ProviderLang(Node):
    """Each choice in its own language, as on the first call."""

    name = "provider_lang"
    writes = True

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        return ctx.say("provider.ask_lang") + self.reprompt(ctx)

    def reprompt(self, ctx: Ctx) -> list[Segment]:
        return [s for lang in prompts.LANGUAGES for s in prompts.segments(lang, "language.option")]

    def handle(self, ctx: Ctx, inp: Input) -> Outcome:
        lang = chosen_language(inp)
        if lang is None:
            return NoMatch()
        return Goto("provider_record", {"event_id": ctx.data["event_id"], "rec_lang": lang})


# ---- 4. record ---------------------------------------------------------------------------

def _record_reply(ctx: Ctx, lead: list[Segment]) -> Finish:
    said = lead + ctx.say("provider.record")
    return Finish(Reply(speech=said, record=RECORD))


@node
class ProviderRecord(Node):
    """Speaks the instructions and records; the channel posts the result back as ``record``."""

    name = "provider_record"
    writes = True

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        if signed_in(ctx) is None:
            return Goto("provider_pin")
        return _record_reply(ctx, [])

    def reprompt(self, ctx: Ctx) -> list[Segment]:
        return ctx.say("provider.record")

    def handle(self, ctx: Ctx, inp: Input) -> Outcome:
        pid = signed_in(ctx)
        if pid is None:
            return Goto("provider_pin")
        if inp.event != "record":  # keys after a reprompt: record again
            return _record_reply(ctx, [])
        url = inp.params.get("RecordingUrl", "")
        fetched: Fetched | None = None
        if url:
            try:
                fetched = ctx.services.sink().fetch_recording(url, inp.params.get("RecordingSid", ""))
            except Exception:  # noqa: BLE001 — any download trouble: say so and offer again
                log.exception("fetching a recording failed")
                return self._empty(ctx, ctx.say("provider.fetch_failed"))
        if fetched is None or fetched.silent:
            if fetched is not None:
                ctx.services.sink().discard_recording(fetched.name)
            return self._empty(ctx, ctx.say("provider.empty"))
        desc = AudioDescription(
            event_id=int(ctx.data["event_id"]), provider_id=pid, lang=ctx.data["rec_lang"],
            storage_path=fetched.name, duration_seconds=max(1, round(fetched.duration)),
            status=Status.PENDING, source=AudioDescription.Source.PHONE, created_at=ctx.now)
        ctx.db.add(desc)
        ctx.db.flush()
        return Goto("provider_review", {"desc_id": desc.id, "event_id": desc.event_id,
                                        "rec_lang": desc.lang})

    def _empty(self, ctx: Ctx, explain: list[Segment]) -> Outcome:
        tries = int(ctx.data.get("empty", 0)) + 1
        ctx.data["empty"] = tries
        if tries >= MAX_EMPTY_TAKES:
            return Goto("provider_event", preface=explain + ctx.say("provider.gave_up"))
        return _record_reply(ctx, explain)


# ---- 5. hear it back: keep, again, cancel --------------------------------------------------

@node
class ProviderReview(Node):
    name = "provider_review"
    writes = True

    def _desc(self, ctx: Ctx) -> AudioDescription | None:
        desc = ctx.db.get(AudioDescription, int(ctx.data.get("desc_id", 0)))
        if desc is None or desc.provider_id != signed_in(ctx):
            return None
        return desc

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        desc = self._desc(ctx)
        if desc is None:
            return Goto("provider_event")
        playback = Segment(text=prompts.text(ctx.lang, "provider.recording"), lang=ctx.lang,
                           audio_path=desc.storage_path)
        return ctx.say("provider.playback") + [playback] + self.reprompt(ctx)

    def reprompt(self, ctx: Ctx) -> list[Segment]:
        return ctx.say("provider.keep") + ctx.say("provider.again") + ctx.say("provider.cancel")

    def gather(self, ctx: Ctx) -> Gather:
        return Gather(hints=tuple(w for k in REVIEW_WORDS.values() for w in prompts.words(ctx.lang, k)))

    def handle(self, ctx: Ctx, inp: Input) -> Outcome:
        desc = self._desc(ctx)
        if desc is None:
            return Goto("provider_event")
        key = chosen_key(inp.digits, inp.speech, REVIEW_WORDS, (ctx.lang,))
        if key == "1":
            descriptions.keep(ctx.db, desc)  # the audio worker hears of it after the commit
            return Goto("provider_event", preface=ctx.say("provider.kept"))
        if key in {"2", "3"}:
            ctx.services.sink().discard_recording(desc.storage_path)
            ctx.db.delete(desc)
            ctx.db.flush()
            if key == "2":
                return Goto("provider_record", {"event_id": desc.event_id, "rec_lang": desc.lang})
            return Goto("provider_event", preface=ctx.say("provider.cancelled"))
        return NoMatch()
