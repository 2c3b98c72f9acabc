"""Take part now (main menu 2): live phone performances one at a time, the room itself, and the
small menu that ``*`` opens during a performance (raise a hand, back, leave).

A room is a conference per session (``reply.Conference``). A caller enters it muted; ``*`` hangs
up the caller's leg of the room only, and the channel posts back as event ``room``, so the call
comes back here: to the menu, or — when the room has ended — to the main menu.
"""
from __future__ import annotations

from datetime import timedelta

from catalogue import rooms
from catalogue.models import CallLog, Session
from catalogue.timeutil import to_local

from . import speak
from .engine import Ctx, Finish, Goto, Input, Menu, Node, Option, Outcome, node
from .nodes import current_id, on_last, stepped
from .reply import Conference, Reply, Segment


def call_sid(ctx: Ctx) -> str:
    call = ctx.db.get(CallLog, ctx.call_id)
    return call.call_sid if call is not None else ""


def _starts(ctx: Ctx, session: Session) -> str:
    """Today's start as a clock time; another day's with its date."""
    if to_local(session.starts_at).date() == to_local(ctx.now).date():
        return speak.clock(to_local(session.starts_at), ctx.lang)
    return speak.when(session.starts_at, ctx.lang)


def next_one(ctx: Ctx, event_id: int | None = None) -> list[Segment]:
    """When the next phone performance (of the event, if it has one) starts, or that none is
    coming."""
    later = None
    if event_id is not None:
        later = rooms.next_phone_session(ctx.db, ctx.now, ctx.settings.join_minutes, event_id)
    later = later or rooms.next_phone_session(ctx.db, ctx.now, ctx.settings.join_minutes)
    if later is None:
        return ctx.say("live.none_coming")
    return ctx.say("live.next_starts", title=later.event.text("title", ctx.lang),
                   when=speak.when(later.starts_at, ctx.lang))


@node
class TakePart(Node):
    """Main menu 2: the sessions whose join window is open, else when the next one starts and
    then the recordings."""

    name = "take_part"

    def enter(self, ctx: Ctx) -> Outcome:
        live = rooms.live_sessions(ctx.db, ctx.now, ctx.settings.join_minutes)
        if not live:
            return Goto("recordings_now", preface=ctx.say("live.none_now") + next_one(ctx))
        return Goto("live_item", {"ids": [s.id for s in live], "i": 0})

    def handle(self, ctx: Ctx, inp: Input) -> Outcome:
        return Goto("main_menu")


@node
class LiveItem(Menu):
    """One live session: 1 take part, 3 the next one (after the last: the recordings)."""

    name = "live_item"

    def current(self, ctx: Ctx) -> Session | None:
        sid = current_id(ctx)
        return ctx.db.get(Session, sid) if sid is not None else None

    def options(self, ctx: Ctx) -> list[Option]:
        session_id = current_id(ctx) or 0
        return [
            Option("1", "live.take_part", "take_part",
                   lambda c: Goto("join_room", {"session_id": session_id})),
            Option("3", "live.to_recordings" if on_last(ctx) else "live.next", "next",
                   self._next),
        ]

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        session = self.current(ctx)
        if session is None or not rooms.window_open(session, ctx.now, ctx.settings.join_minutes):
            return Goto("take_part")
        if session.starts_at <= ctx.now:
            head = ctx.say("live.on_now")
        else:
            head = ctx.say("live.starts", when=_starts(ctx, session))
        return (head + ctx.say("live.title", title=session.event.text("title", ctx.lang))
                + self.option_segments(ctx))

    def reprompt(self, ctx: Ctx) -> list[Segment]:
        return ctx.say("live.short")

    def _next(self, ctx: Ctx) -> Outcome:
        following = stepped(ctx, +1)
        return Goto("live_item", following) if following else Goto("recordings_now")


@node
class JoinRoom(Node):
    """Into a session's room (shared name: data ``{"session_id": int}``), after the checks:
    the window is open, and the caller is registered or a place remains."""

    name = "join_room"
    writes = True

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        session = ctx.db.get(Session, int(ctx.data.get("session_id") or 0))
        if session is None or not rooms.window_open(session, ctx.now, ctx.settings.join_minutes):
            return self._closed(ctx, session)
        sid = call_sid(ctx)
        caller_id = ctx.caller.id if ctx.caller is not None else None
        if rooms.ended(ctx.db, session.id):  # over, though its scheduled time lasts
            return Goto("main_menu", preface=ctx.say("live.ended"))
        if rooms.removed(ctx.db, session.id, sid):
            return Goto("main_menu", preface=ctx.say("live.removed"))
        if not rooms.may_enter(ctx.db, session, caller_id, sid):
            return Goto("main_menu", preface=ctx.say("live.full") + next_one(ctx, session.event_id))
        rooms.expect(ctx.db, session.id, sid, caller_id, False, ctx.now)
        if ctx.data.get("again"):
            said = ctx.say("live.back_in")
        else:
            said = ctx.say("live.welcome", title=session.event.text("title", ctx.lang))
            if not rooms.started(ctx.db, session.id):
                said += ctx.say("live.waiting")
        room = Conference(session_id=session.id, record=session.may_be_recorded)
        return Finish(Reply(speech=said, conference=room))

    def _closed(self, ctx: Ctx, session: Session | None) -> Outcome:
        if session is None or session.kind.value != "phone" or session.status.value != "scheduled":
            return Goto("main_menu", preface=ctx.say("live.gone"))
        if ctx.now >= session.ends_at:
            return Goto("main_menu", preface=ctx.say("live.ended"))
        opens = session.starts_at - timedelta(minutes=ctx.settings.join_minutes)
        return Goto("main_menu", preface=ctx.say("live.not_yet", when=speak.since(opens, ctx.lang)))

    def handle(self, ctx: Ctx, inp: Input) -> Outcome:
        """Back from the room: ``*`` (the menu), or the room ended."""
        session_id = int(ctx.data.get("session_id") or 0)
        if rooms.removed(ctx.db, session_id, call_sid(ctx)):
            return Goto("main_menu", preface=ctx.say("live.removed"))
        if inp.event == "room" and rooms.ended(ctx.db, session_id):
            return Goto("main_menu", preface=ctx.say("live.ended_thanks"))
        if inp.event == "room":
            return Goto("room_menu", {"session_id": session_id})
        return Goto("join_room", {"session_id": session_id, "again": True})


@node
class RoomMenu(Menu):
    """``*`` during a performance: 1 raise my hand, 2 back, 3 leave, 0 a person."""

    name = "room_menu"
    intro = "live.menu_intro"
    writes = True

    def options(self, ctx: Ctx) -> list[Option]:
        return [Option("1", "live.raise", "live.raise_hand", self._raise),
                Option("2", "live.back", "live.back_to_room", self._back),
                Option("3", "live.leave", "live.leave_room", self._leave)]

    def option_segments(self, ctx: Ctx) -> list[Segment]:
        return super().option_segments(ctx) + ctx.say("live.person")

    def _raise(self, ctx: Ctx) -> Outcome:
        session_id = int(ctx.data["session_id"])
        caller_id = ctx.caller.id if ctx.caller is not None else None
        rooms.raise_hand(ctx.db, session_id, call_sid(ctx), caller_id, ctx.now)
        return Goto("join_room", {"session_id": session_id, "again": True},
                    preface=ctx.say("live.hand_raised"))

    def _back(self, ctx: Ctx) -> Outcome:
        session_id = int(ctx.data["session_id"])
        if rooms.ended(ctx.db, session_id):
            return Goto("main_menu", preface=ctx.say("live.ended_thanks"))
        return Goto("join_room", {"session_id": session_id, "again": True})

    def _leave(self, ctx: Ctx) -> Outcome:
        return Goto("main_menu", preface=ctx.say("live.left"))

