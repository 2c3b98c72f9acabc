"""The calls the service makes: each a short script with its own keys (DESIGN "Reminder calls").

The voice channel places the call and, when a person answers, enters the node for its kind with
``{"call": <outbound call id>}``. Every script reads back the session, offers at most three keys
(plus ``*`` and ``0`` as everywhere) and 3 for "don't call me" (the same key in every call); an answer to its question counts
as heard (``catalogue.outbound.heard``), which clears the news the call was made for.
"""
from __future__ import annotations

from catalogue import audit
from catalogue import outbound as calls
from catalogue import registration as service
from catalogue.models import CallKind, OutboundCall, Session

from . import speak
from .engine import Ctx, Finish, Goto, Menu, Option, Outcome, node
from .registration import next_steps, spoken_number
from .reply import Reply, Segment

STOP_KEY = "3"  # "don't call me", the same key in every call we make
NODE_FOR = {CallKind.DAY_BEFORE: "call_day_before", CallKind.STARTING: "call_starting",
            CallKind.PROMOTED: "call_promoted", CallKind.CANCELLED: "call_cancelled",
            CallKind.MOVED: "call_moved"}


def the_call(ctx: Ctx) -> OutboundCall | None:
    """The call this conversation is about, only if it was made to this very person."""
    call = ctx.db.get(OutboundCall, int(ctx.data.get("call") or 0))
    if call is None or ctx.caller is None or call.caller_id != ctx.caller.id:
        return None
    return call


def session_brief(ctx: Ctx, session: Session) -> list[Segment]:
    """Title, then day and time after a pause: the read-back, short enough for rule 12."""
    return (ctx.say("register.title", title=session.event.text("title", ctx.lang))
            + ctx.say("register.when", when=speak.when(session.starts_at, ctx.lang)))


def goodbye(ctx: Ctx, segments: list[Segment]) -> Outcome:
    """The call has done its job: say so and end it (never after an error or silence)."""
    return Finish(Reply(speech=segments + ctx.say("call.goodbye"), hangup=True))


def machine_message(lang: str, title: str, service_number: str | None) -> list[Segment]:
    """What an answering machine gets: who called, about what, and the number to call."""
    from . import prompts

    said = prompts.segments(lang, "call.machine", title=title)
    if service_number:
        said += prompts.segments(lang, "call.machine_number",
                                 number=spoken_number(service_number, lang))
    return said + prompts.segments(lang, "call.goodbye")


class CallMenu(Menu):
    """A script of a call we made: the intro, the session read back, the keys, and 3."""

    writes = True
    intro_key = ""

    def keys(self, ctx: Ctx) -> list[Option]:
        raise NotImplementedError

    def body(self, ctx: Ctx, call: OutboundCall) -> list[Segment]:
        return ctx.say(self.intro_key) + session_brief(ctx, call.session)

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        call = the_call(ctx)
        if call is None:
            return goodbye(ctx, [])
        return self.body(ctx, call) + self.option_segments(ctx)

    def options(self, ctx: Ctx) -> list[Option]:
        stop = Option(STOP_KEY, "call.no_calls", "call.no_calls",
                      lambda c: Goto("call_no_calls", {"call": c.data.get("call"), "back": self.name}))
        return self.keys(ctx) + [stop]

    def heard(self, ctx: Ctx) -> OutboundCall | None:
        call = the_call(ctx)
        if call is not None:
            calls.heard(ctx.db, call, ctx.now)
        return call


@node
class DayBefore(CallMenu):
    """The day before: 1 still coming / 2 cannot come (read back and confirmed first)."""

    name = "call_day_before"
    intro_key = "call.day_before"

    def keys(self, ctx: Ctx) -> list[Option]:
        return [Option("1", "call.coming", "call.coming", self._coming),
                Option("2", "call.cannot", "call.cannot",
                       lambda c: Goto("call_cancel", {"call": c.data.get("call")}))]

    def _coming(self, ctx: Ctx) -> Outcome:
        self.heard(ctx)
        return goodbye(ctx, ctx.say("call.see_you"))


@node
class Starting(CallMenu):
    """A few minutes before a phone performance: 1 takes part now, straight into the room."""

    name = "call_starting"
    intro_key = "call.starting"

    def keys(self, ctx: Ctx) -> list[Option]:
        return [Option("1", "call.take_part", "take_part", self._take_part)]

    def _take_part(self, ctx: Ctx) -> Outcome:
        call = self.heard(ctx)
        if call is None:
            return goodbye(ctx, [])
        return Goto("join_room", {"session_id": call.session_id})


@node
class Promoted(CallMenu):
    """A place came free for someone waiting: 1 keep it / 2 give it up (confirmed first)."""

    name = "call_promoted"
    intro_key = "call.promoted"

    def keys(self, ctx: Ctx) -> list[Option]:
        return [Option("1", "call.keep", "registration.keep", self._keep),
                Option("2", "call.give_up", "call.give_up",
                       lambda c: Goto("call_cancel", {"call": c.data.get("call")}))]

    def _keep(self, ctx: Ctx) -> Outcome:
        call = self.heard(ctx)
        if call is None:
            return goodbye(ctx, [])
        return goodbye(ctx, ctx.say("call.kept") + next_steps(ctx, call.session))


@node
class Cancelled(CallMenu):
    """Staff cancelled the session: told, and 1 says it was heard."""

    name = "call_cancelled"
    intro_key = "call.cancelled"

    def keys(self, ctx: Ctx) -> list[Option]:
        return [Option("1", "call.understood", "yes", self._understood)]

    def _understood(self, ctx: Ctx) -> Outcome:
        self.heard(ctx)
        return goodbye(ctx, ctx.say("call.sorry"))


@node
class Moved(CallMenu):
    """Staff moved the session: the new time, the place kept; 1 can come / 2 cannot come."""

    name = "call_moved"
    intro_key = "call.moved"

    def body(self, ctx: Ctx, call: OutboundCall) -> list[Segment]:
        return super().body(ctx, call) + ctx.say("call.moved_kept")

    def keys(self, ctx: Ctx) -> list[Option]:
        return [Option("1", "call.can_come", "call.coming", self._coming),
                Option("2", "call.cannot", "call.cannot",
                       lambda c: Goto("call_cancel", {"call": c.data.get("call")}))]

    def _coming(self, ctx: Ctx) -> Outcome:
        self.heard(ctx)
        return goodbye(ctx, ctx.say("call.see_you_then"))


@node
class CallCancel(Menu):
    """ "Cannot come" / "give it up", read back: 1 cancel it (the place goes to the first person
    waiting at once) / 2 keep it."""

    name = "call_cancel"
    writes = True

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        call = the_call(ctx)
        if call is None:
            return goodbye(ctx, [])
        return (ctx.say("call.cancel_intro") + session_brief(ctx, call.session)
                + self.option_segments(ctx))

    def options(self, ctx: Ctx) -> list[Option]:
        return [Option("1", "call.cancel_yes", "registration.confirm_cancel", self._yes),
                Option("2", "call.cancel_keep", "registration.keep", self._keep)]

    def _yes(self, ctx: Ctx) -> Outcome:
        call = the_call(ctx)
        if call is None:
            return goodbye(ctx, [])
        service.cancel(ctx.db, call.registration_id, now=ctx.now, actor=audit.PHONE,
                       own_transaction=not ctx.commits)
        ctx.db.refresh(call)
        calls.heard(ctx.db, call, ctx.now)
        return goodbye(ctx, ctx.say("call.cancel_done"))

    def _keep(self, ctx: Ctx) -> Outcome:
        call = the_call(ctx)
        if call is None:
            return goodbye(ctx, [])
        calls.heard(ctx.db, call, ctx.now)
        return goodbye(ctx, ctx.say("call.kept") + next_steps(ctx, call.session))


@node
class NoCalls(Menu):
    """3 in any call we make: confirmed, then the person is never called again."""

    name = "call_no_calls"
    writes = True
    intro = "call.no_calls_intro"

    def options(self, ctx: Ctx) -> list[Option]:
        return [Option("1", "call.no_calls_yes", "yes", self._yes),
                Option("2", "call.no_calls_back", "no", self._back)]

    def _yes(self, ctx: Ctx) -> Outcome:
        call = the_call(ctx)
        if call is None or ctx.caller is None:
            return goodbye(ctx, [])
        calls.heard(ctx.db, call, ctx.now)  # the message itself was heard
        calls.stop_calls(ctx.db, ctx.caller, ctx.now)
        return goodbye(ctx, ctx.say("call.no_calls_done"))

    def _back(self, ctx: Ctx) -> Outcome:
        back = str(ctx.data.get("back") or "")
        return Goto(back if back in NODE_FOR.values() else "main_menu",
                    {"call": ctx.data.get("call")})
