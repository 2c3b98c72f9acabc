"""Registering by phone: the read-back, the confirmation, and what comes after.

Every write goes through ``catalogue.registration`` (the same rules as the web admin). Nothing is
written before the caller presses 1 on the spoken read-back (DESIGN rules 5 and 10): the read-back
only previews, and a person typed in by a relative is created at the confirmation, so a caller
who hangs up earlier leaves nothing behind. The service commits before it returns, so "you are
registered" is only ever said about a stored registration.

Typing in someone else's number (or one's own, when it is withheld) is ``someone_else``; hearing
and cancelling one's places is ``my_registrations``. Both use the read-back helpers here.
"""
from __future__ import annotations

from typing import Any

import phonenumbers
from sqlalchemy import select

from catalogue import audit, callers
from catalogue import registration as service
from catalogue.programme import ProgrammeItem, item_of
from catalogue.models import Caller, Session, SessionKind, SessionStatus

from . import facts, prompts, speak
from .engine import Ctx, Goto, Menu, Option, Outcome, node
from .reply import Segment

# ---- what is said about a session ---------------------------------------------------------


def item_for(ctx: Ctx, session: Session) -> ProgrammeItem:
    """What is said of a session, from the programme in memory (no event or provider read
    after a registration's commit); a session beyond the cached days from its rows."""
    return ctx.services.programme.item(ctx.db, session.id, ctx.now) or item_of(session)


def session_segments(ctx: Ctx, session: Session, how: bool = True,
                     other: bool = False) -> list[Segment]:
    """Title, weekday, date, time and how to take part: the read-back (DESIGN rule 5)."""
    return read_back(ctx.lang, item_for(ctx, session), how, other)


def queue_place(n: int, lang: str) -> str:
    """A waiting-list place as said: "kolmantena" (Finnish essive), "tredje", "third"."""
    return speak.ordinal(n, lang, "essive")  # the case is Finnish's only


def next_steps(ctx: Ctx, session: Session, other: bool = False) -> list[Segment]:
    return what_next(ctx.lang, item_for(ctx, session), other)


def read_back(lang: str, item: ProgrammeItem, how: bool = True,
              other: bool = False) -> list[Segment]:
    """The read-back as plain data, for the flows and for rendering audio ahead of time:
    title and time, then (``how``) how to take part — about the person registered when that
    is someone ``other`` than the caller ("hän osallistuu")."""
    def say(key: str, **values: str) -> list[Segment]:
        return prompts.segments(lang, key, **values)

    segs = say("register.title", title=facts.text(item, "title", lang))
    segs += say("register.when", when=speak.when(item.starts_at, lang))
    return segs + how_segments(lang, item, other) if how else segs


def how_segments(lang: str, item: ProgrammeItem, other: bool = False) -> list[Segment]:
    """How to take part: by phone from home, the place, or a recording to listen to."""
    if item.kind == SessionKind.IN_PERSON:
        return prompts.segments(lang, "register.how_in_person", **_place(lang, item))
    if item.kind == SessionKind.RECORDING:
        return prompts.segments(lang, "register.how_recording")
    return prompts.segments(lang, "register.how_phone_other" if other else "register.how_phone")


def _place(lang: str, item: ProgrammeItem) -> dict[str, str]:
    return facts.place(item, lang)


def what_next(lang: str, item: ProgrammeItem, other: bool = False) -> list[Segment]:
    """What happens next for someone with a place: the call before a phone performance (with
    the event code, digit by digit), or the place and address of an in-person event."""
    if item.kind == SessionKind.IN_PERSON:
        return prompts.segments(lang, "register.next_in_person", **_place(lang, item))
    if item.kind == SessionKind.RECORDING:
        return prompts.segments(lang, "register.next_recording")
    key = "register.next_phone_other" if other else "register.next_phone"
    return prompts.segments(lang, key, code=speak.digits(item.code, lang))


def outcome_segments(ctx: Ctx, result: service.Result, other: bool) -> list[Segment]:
    """The answer to a registration attempt, in the caller's words ("you" or "the person")."""
    suffix = "_other" if other else ""
    kind, session = result.kind, result.session
    position = queue_place(result.position or 1, ctx.lang)
    if kind == service.Kind.CONFIRMED and session is not None:
        return ctx.say(f"register.confirmed{suffix}") + next_steps(ctx, session, other)
    if kind == service.Kind.ALREADY_CONFIRMED and session is not None:
        return ctx.say(f"register.already{suffix}") + next_steps(ctx, session, other)
    if kind == service.Kind.WAITING:
        return ctx.say(f"register.waiting{suffix}", position=position)
    if kind == service.Kind.ALREADY_WAITING:
        return ctx.say(f"register.already_waiting{suffix}", position=position)
    if kind == service.Kind.NOT_OPEN and result.opens_at is not None:
        return ctx.say("register.not_open", when=speak.when(result.opens_at, ctx.lang))
    if kind == service.Kind.CLOSED:
        return ctx.say("register.closed")
    if kind == service.Kind.CANCELLED:
        return ctx.say("register.cancelled")
    return ctx.say("register.gone")


def spoken_number(e164: str, lang: str) -> str:
    """A phone number digit by digit as a caller would type it: "0 4 0 …" for a Finnish number,
    "plus 4 6 …" for a foreign one."""
    parsed = phonenumbers.parse(e164)
    if parsed.country_code == 358:
        national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
        return speak.digits(national, lang)
    return prompts.text(lang, "someone_else.plus") + ", " + speak.digits(e164, lang)


def go_back(ctx: Ctx) -> Outcome:
    """Back to the programme item the caller came from, or the main menu."""
    back = ctx.data.get("back")
    return Goto("item", back) if back else Goto("main_menu")


def carry(ctx: Ctx, *keys: str, **extra: Any) -> dict[str, Any]:
    """The data the registration nodes pass along (session, where to go back, the number)."""
    data = {k: ctx.data[k] for k in ("session_id", "back", *keys) if k in ctx.data}
    data.update(extra)
    return data


# ---- register -----------------------------------------------------------------------------

def _other(ctx: Ctx) -> bool:
    """Whether the person being registered is someone other than the caller: a typed number
    that is not the caller's own."""
    number = ctx.data.get("number")
    if not number or ctx.data.get("own"):
        return False
    return ctx.caller is None or ctx.caller.phone != number


def _target(ctx: Ctx) -> tuple[Caller | int | None, bool]:
    """Who is being registered (the caller by id; None: a typed number not yet known), and
    whether it is someone other than the caller."""
    number = ctx.data.get("number")
    if not number:
        return ctx.caller_id, False
    return ctx.db.scalar(select(Caller).where(Caller.phone == number)), _other(ctx)


@node
class Register(Menu):
    """Read back → 1 confirm / 2 back / 3 someone else → the confirmation with what next."""

    name = "register"
    # Not a writer from the start: the confirm's service takes the write lock for its own
    # unit and commits it, so the lock is not held while the answer is said and rendered.
    short = "register.short"

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        # The session, the person's row in it and the waiting list: one read (``preview``).
        target, other = _target(ctx)
        preview = service.preview(ctx.db, int(ctx.data.get("session_id") or 0), target,
                                  now=ctx.now)
        session = preview.session
        if session is None:
            return Goto("main_menu", preface=ctx.say("register.gone"))
        if session.kind == SessionKind.RECORDING and session.status == SessionStatus.SCHEDULED:
            # A recording's session is a listening window: anyone can listen, nobody registers;
            # the player says so when it cannot be heard (no approved audio, window closed).
            return Goto("recording_play", {"session_id": session.id})
        if ctx.caller_id is None and not ctx.data.get("number"):
            return Goto("no_caller_id", carry(ctx))
        if preview.kind not in (service.Kind.CONFIRMED, service.Kind.WAITING):
            return Goto("register_done", carry(ctx), preface=outcome_segments(ctx, preview, other))
        full = ctx.data["full"] = preview.kind == service.Kind.WAITING
        ctx.data["other"] = other
        suffix = "_other" if other else ""
        if full:  # short turns (DESIGN rule 12): title, time, the waiting list, the choices
            place = queue_place(preview.position or 1, ctx.lang)
            return (session_segments(ctx, session, how=False)
                    + ctx.say(f"register.full{suffix}", position=place) + self.option_segments(ctx))
        # The number typed for someone else was read back and confirmed just before.
        return (ctx.say(f"register.intro{suffix}") + session_segments(ctx, session, other=other)
                + self.option_segments(ctx))

    def options(self, ctx: Ctx) -> list[Option]:
        confirm = "register.confirm"
        if ctx.data.get("full"):
            confirm = "register.confirm_waiting_other" if ctx.data.get("other") else "register.confirm_waiting"
        opts = [Option("1", confirm, "registration.confirm", self._confirm),
                Option("2", "register.back", "no", go_back)]
        if ctx.caller_id is not None and not ctx.data.get("number"):
            opts.append(Option("3", "register.someone_else", "registration.someone_else",
                               lambda c: Goto("someone_else", carry(c))))
        return opts

    def _confirm(self, ctx: Ctx) -> Outcome:
        number, other = ctx.data.get("number"), _other(ctx)
        person = callers.find_or_create(ctx.db, number) if number else ctx.caller_id
        assert person is not None
        result = service.register(ctx.db, int(ctx.data["session_id"]), person,
                                  by_caller=ctx.caller_id if other else None, now=ctx.now,
                                  actor=audit.PHONE, own_transaction=not ctx.commits)
        return Goto("register_done", carry(ctx), preface=outcome_segments(ctx, result, other))


def _next_item(ctx: Ctx) -> dict[str, Any] | None:
    back = ctx.data.get("back") or {}
    ids, i = back.get("ids") or [], int(back.get("i", 0)) + 1
    return {"ids": ids, "i": i} if i < len(ids) else None


@node
class RegisterDone(Menu):
    """After the answer: on to the next event in the programme, or the main menu. The answer
    itself is the preface, so ``*`` repeats it."""

    name = "register_done"

    def options(self, ctx: Ctx) -> list[Option]:
        opts = []
        following = _next_item(ctx)
        if following is not None:
            opts.append(Option("3", "register.done_next", "next",
                               lambda c: Goto("item", following)))
        opts.append(Option("9", "register.done_main", "main_menu", lambda c: Goto("main_menu")))
        return opts
