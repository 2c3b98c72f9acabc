""""My registrations": the caller's upcoming places and waiting-list places, one at a time,
each of which can be cancelled after a read-back (DESIGN rule 10)."""
from __future__ import annotations

from catalogue import audit
from catalogue import registration as service
from catalogue.programme import item_of
from catalogue.models import Registration, RegistrationStatus, SessionKind, SessionStatus

from . import speak
from .engine import Ctx, Goto, Menu, Option, Outcome, Speak, goto, node
from .registration import how_segments, next_steps, queue_place, session_segments
from .reply import Segment


def _current(ctx: Ctx) -> Registration | None:
    ids = ctx.data.get("ids") or []
    i = int(ctx.data.get("i", 0))
    if not 0 <= i < len(ids):
        return None
    reg = ctx.db.get(Registration, ids[i])
    if reg is None or ctx.caller is None or reg.caller_id != ctx.caller.id:
        return None
    return reg


def _forward(ctx: Ctx, preface: list[Segment] | None = None,
             drop: int | None = None) -> Outcome:
    ids = [r for r in ctx.data.get("ids") or [] if r != drop]
    i = int(ctx.data.get("i", 0)) + (0 if drop is not None else 1)
    return Goto("my_registrations", {"ids": ids, "i": i}, preface=preface or [])


@node
class MyRegistrations(Menu):
    """Upcoming places and waiting-list places, one at a time: 1 cancel / 3 next."""

    name = "my_registrations"
    short = "my_registrations.short"

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        if ctx.caller is None:
            return Goto("main_menu", preface=ctx.say("my_registrations.hidden"))
        preface: list[Segment] = []
        if "ids" not in ctx.data:
            regs = service.upcoming_for(ctx.db, ctx.caller, ctx.now)
            if not regs:
                return Goto("my_registrations_none")
            ctx.data.update(ids=[r.id for r in regs], i=0)
            preface = (ctx.say("my_registrations.count_one") if len(regs) == 1 else
                       ctx.say("my_registrations.count", count=speak.number(len(regs), ctx.lang)))
        reg = _current(ctx)
        while reg is None or reg.status == RegistrationStatus.CANCELLED:
            if int(ctx.data.get("i", 0)) >= len(ctx.data.get("ids") or []):
                return Goto("main_menu", preface=preface + ctx.say("my_registrations.end"))
            ctx.data["i"] = int(ctx.data.get("i", 0)) + 1  # gone meanwhile (staff): skip it
            reg = _current(ctx)
        return preface + self._describe(ctx, reg) + self.option_segments(ctx)

    def _describe(self, ctx: Ctx, reg: Registration) -> list[Segment]:
        session = reg.session
        segs = session_segments(ctx, session, how=False)
        if session.status != SessionStatus.SCHEDULED:
            return segs + ctx.say("my_registrations.cancelled_session")
        if reg.status == RegistrationStatus.WAITING:
            position = service.waiting_position(ctx.db, reg) or 1
            return segs + ctx.say("my_registrations.waiting", position=queue_place(position, ctx.lang))
        return segs + ctx.say("my_registrations.confirmed")

    def _more(self, ctx: Ctx) -> Outcome:
        """2: how to take part and what happens next (kept out of the first turn, rule 12)."""
        reg = _current(ctx)
        if reg is None:
            return _forward(ctx)
        session = reg.session
        more = how_segments(ctx.lang, item_of(session))
        if (session.kind == SessionKind.PHONE and reg.status == RegistrationStatus.CONFIRMED
                and session.status == SessionStatus.SCHEDULED):
            more += next_steps(ctx, session)  # the call before it starts, and the code
        return Speak(more + self.option_segments(ctx))

    def options(self, ctx: Ctx) -> list[Option]:
        reg = _current(ctx)
        cancel = "my_registrations.cancel"
        if reg is not None and reg.session.status != SessionStatus.SCHEDULED:
            cancel = "my_registrations.remove"
        elif reg is not None and reg.status == RegistrationStatus.WAITING:
            cancel = "my_registrations.leave"
        last = int(ctx.data.get("i", 0)) + 1 >= len(ctx.data.get("ids") or [])
        return [
            Option("1", cancel, "registration.cancel", self._cancel),
            Option("2", "my_registrations.more", "more", self._more),
            Option("9", "my_registrations.last", "main_menu", lambda c: _forward(c)) if last else
            Option("3", "my_registrations.next", "next", lambda c: _forward(c)),
        ]

    def reprompt(self, ctx: Ctx) -> list[Segment]:
        last = int(ctx.data.get("i", 0)) + 1 >= len(ctx.data.get("ids") or [])
        return ctx.say("my_registrations.short_last" if last else "my_registrations.short")

    def _cancel(self, ctx: Ctx) -> Outcome:
        reg = _current(ctx)
        if reg is None:
            return _forward(ctx)
        return Goto("cancel_registration", {"reg_id": reg.id, "ids": ctx.data.get("ids"),
                                            "i": ctx.data.get("i", 0)})


@node
class CancelRegistration(Menu):
    """Read back what is being cancelled → 1 cancel it / 2 keep it."""

    name = "cancel_registration"
    writes = True

    def _reg(self, ctx: Ctx) -> Registration | None:
        reg = ctx.db.get(Registration, ctx.data.get("reg_id") or 0)
        if reg is None or ctx.caller is None or reg.caller_id != ctx.caller.id:
            return None
        return reg

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        reg = self._reg(ctx)
        if reg is None:
            return _forward(ctx)
        intro = ("my_registrations.leave_intro" if reg.status == RegistrationStatus.WAITING
                 else "my_registrations.cancel_intro")
        return ctx.say(intro) + session_segments(ctx, reg.session, how=False) + self.option_segments(ctx)

    def options(self, ctx: Ctx) -> list[Option]:
        return [Option("1", "my_registrations.cancel_yes", "registration.confirm_cancel", self._yes),
                Option("2", "my_registrations.keep", "registration.keep", self._keep)]

    def _yes(self, ctx: Ctx) -> Outcome:
        reg = self._reg(ctx)
        if reg is None:
            return _forward(ctx)
        done = service.cancel(ctx.db, reg.id, now=ctx.now, actor=audit.PHONE,
                              own_transaction=not ctx.commits)
        said = ("my_registrations.left" if done.was == RegistrationStatus.WAITING
                else "my_registrations.cancelled")
        return _forward(ctx, ctx.say(said), drop=reg.id)

    def _keep(self, ctx: Ctx) -> Outcome:
        return Goto("my_registrations", {"ids": ctx.data.get("ids"), "i": ctx.data.get("i", 0)},
                    preface=ctx.say("my_registrations.kept"))


@node
class MyRegistrationsNone(Menu):
    """None coming up: say so and offer the programme."""

    name = "my_registrations_none"
    intro = "my_registrations.none"

    def options(self, ctx: Ctx) -> list[Option]:
        return [Option("1", "my_registrations.programme", "programme", goto("programme")),
                Option("9", "my_registrations.main", "main_menu", goto("main_menu"))]
