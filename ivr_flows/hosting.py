"""A provider hosts a live performance from their own phone, through the provider line.

After the PIN, a provider with a phone session of their own whose join window is open is
offered it (1 host now, 2 record a description instead, 3 the next one); with none, the line
goes on to the recordings of descriptions as before. The host speaks, starts the room on
entering and, by default (a setting), ends it on leaving.
"""
from __future__ import annotations

from catalogue import rooms
from catalogue.models import Session

from .engine import Ctx, Finish, Goto, Input, Menu, Node, Option, Outcome, node
from .live import call_sid
from .provider_line import signed_in
from .reply import Conference, Reply, Segment


@node
class ProviderHome(Menu):
    name = "provider_home"
    writes = True

    def _ids(self, ctx: Ctx) -> list[int]:
        if "ids" not in ctx.data:
            live = rooms.live_sessions(ctx.db, ctx.now, ctx.settings.join_minutes,
                                       provider_id=signed_in(ctx) or 0)
            ctx.data["ids"] = [s.id for s in live]
        return [int(i) for i in ctx.data["ids"]]

    def _current(self, ctx: Ctx) -> int:
        ids = self._ids(ctx)
        return ids[int(ctx.data.get("i", 0)) % len(ids)] if ids else 0

    def options(self, ctx: Ctx) -> list[Option]:
        session_id = self._current(ctx)
        opts = [Option("1", "live.host", "live.host", lambda c: Goto("host_room", {"session_id": session_id})),
                Option("2", "live.describe", "live.describe", lambda c: Goto("provider_event"))]
        if len(self._ids(ctx)) > 1:
            opts.append(Option("3", "live.host_next", "next", self._next))
        return opts

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        if signed_in(ctx) is None:
            return Goto("provider_pin")
        if not self._ids(ctx):
            return Goto("provider_event")
        session = ctx.db.get(Session, self._current(ctx))
        assert session is not None
        return (ctx.say("live.host_offer", title=session.event.text("title", ctx.lang))
                + self.option_segments(ctx))

    def _next(self, ctx: Ctx) -> Outcome:
        return Goto("provider_home", {"ids": ctx.data["ids"], "i": int(ctx.data.get("i", 0)) + 1})


@node
class HostRoom(Node):
    name = "host_room"
    writes = True

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        pid = signed_in(ctx)
        if pid is None:
            return Goto("provider_pin")
        session = ctx.db.get(Session, int(ctx.data.get("session_id") or 0))
        if (session is None or session.event.provider_id != pid
                or not rooms.window_open(session, ctx.now, ctx.settings.join_minutes)):
            return Goto("provider_home", preface=ctx.say("live.ended"))
        rooms.expect(ctx.db, session.id, call_sid(ctx), None, True, ctx.now)
        ends = ctx.settings.host_ends_room
        said = ctx.say("live.host_welcome") + ctx.say("live.host_ends" if ends else "live.host_stays")
        return Finish(Reply(speech=said, conference=Conference(
            session_id=session.id, host=True, end_on_exit=ends, record=session.may_be_recorded)))

    def handle(self, ctx: Ctx, inp: Input) -> Outcome:
        return Goto("provider_home", preface=ctx.say("live.host_done"))
