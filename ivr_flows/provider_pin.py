"""The provider line's sign-in: provider number, then PIN, counted before it is compared.

The tries are counted by ``catalogue.pins`` (one conditional ``UPDATE`` per count, committed
before the slow hash): the provider's own phone has a count of its own, everyone else trying a
provider number shares one, and each calling number has one over all provider numbers (a
withheld number: one per call). A wrong PIN and a provider number that does not exist get the
same words after the same work (a dummy hash), so provider numbers cannot be found by trying. A
lock lifts by itself after ``LOCK_TIME``; the caller hears why and when, and is offered a person
(0) or the main menu (1) — the line never hangs up on them.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from catalogue import pins
from catalogue.models import Provider
from catalogue.timeutil import to_local

from . import prompts, speak
from .engine import Ctx, Goto, Input, Node, NoMatch, Outcome, Speak, node
from .matching import chosen_key, typed_number
from .nodes import number_gather
from .reply import Gather, Segment

MAX_PIN_FAILURES = pins.MAX_FAILURES
LOCK_TIME = pins.LOCK_TIME
MAX_NUMBER_DIGITS = 9  # provider numbers are ids; longer input cannot be one


@node
class ProviderPin(Node):
    name = "provider_pin"
    writes = True
    allows_person_key = False

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        ctx.state.pop("provider_id", None)
        return ctx.say("provider.welcome") + ctx.say("provider.ask_number")

    def reprompt(self, ctx: Ctx) -> list[Segment]:
        return ctx.say("provider.ask_pin" if "pnum" in ctx.data else "provider.ask_number")

    def gather(self, ctx: Ctx) -> Gather:
        return number_gather(ctx.lang, speech=False)  # a PIN is never sent to speech recognition

    def handle(self, ctx: Ctx, inp: Input) -> Outcome:
        # Keys only: a provider number or PIN is never taken from speech.
        digits = typed_number(inp.digits.lstrip("#"), "", ctx.lang)
        if digits is None:
            return NoMatch()
        if "pnum" not in ctx.data:  # whether the number exists is not told here
            ctx.data["pnum"] = digits[:MAX_NUMBER_DIGITS + 1]
            return Speak(ctx.say("provider.ask_pin"))
        return _check(ctx, str(ctx.data.pop("pnum")), digits)


def _check(ctx: Ctx, number: str, pin: str) -> Outcome:
    provider = ctx.db.get(Provider, int(number)) if len(number) <= MAX_NUMBER_DIGITS else None
    if provider is not None and not provider.pin_hash:
        provider = None
    caller = ctx.caller
    own = bool(provider is not None and provider.phone and caller is not None
               and caller.phone == provider.phone)
    counts: list[pins.Count] = []
    if not own and caller is not None:
        counts.append(pins.Count.caller(caller.id))
    if provider is not None:
        counts.append(pins.Count.provider(provider.id, own))
    locked = _claim_in_call(ctx) if caller is None else None
    for count in counts:
        locked = locked or pins.claim(ctx.db, count, ctx.now)
    pins.keep_claims(ctx.db)
    if locked is not None:
        return Goto("provider_locked", {"until": locked.isoformat()})
    # No provider: a dummy hash is compared, so the answer takes as long as a wrong PIN's.
    if not pins.compare(provider.pin_hash if provider else None, pin) or provider is None:
        locked = _in_call_lock(ctx) if caller is None else None
        for count in counts:
            locked = locked or pins.locked_until(ctx.db, count, ctx.now)
        if locked is not None:  # this try reached the limit: said now, not on the next one
            return Goto("provider_locked", {"until": locked.isoformat()},
                        preface=ctx.say("provider.no_match"))
        return NoMatch(ctx.say("provider.no_match"))
    for count in counts:
        pins.clear(ctx.db, count)
    ctx.state.pop("pin_tries", None)
    ctx.state["provider_id"] = provider.id
    # A performance of theirs that can start now is offered first (ivr_flows/hosting.py).
    return Goto("provider_home", preface=ctx.say("provider.signed_in"))


def _claim_in_call(ctx: Ctx) -> datetime | None:
    """A withheld number has no count of its own in the database: this call's tries are
    counted in its state (the provider's count still bounds all callers together)."""
    lock = ctx.state.get("pin_lock")
    if lock:
        until = datetime.fromisoformat(lock)
        if until > ctx.now:
            return until
        ctx.state.pop("pin_lock")
        ctx.state["pin_tries"] = 0
    tries = int(ctx.state.get("pin_tries") or 0) + 1
    ctx.state["pin_tries"] = tries
    if tries >= MAX_PIN_FAILURES:
        ctx.state["pin_lock"] = (ctx.now + LOCK_TIME).isoformat()
    return None


def _in_call_lock(ctx: Ctx) -> datetime | None:
    lock = ctx.state.get("pin_lock")
    return datetime.fromisoformat(lock) if lock else None


def _try_again_at(ctx: Ctx) -> str:
    until = datetime.fromisoformat(str(ctx.data.get("until") or ctx.now.isoformat()))
    # Said to the next whole minute, so "try again at 14:31" is never a minute too early.
    rounded = (until + timedelta(seconds=59)).replace(second=0, microsecond=0)
    return speak.clock(to_local(rounded), ctx.lang)


@node
class ProviderLocked(Node):
    """Too many wrong tries: why, when to try again, and the ways on."""

    name = "provider_locked"

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        return ctx.say("provider.locked", time=_try_again_at(ctx)) + self.reprompt(ctx)

    def reprompt(self, ctx: Ctx) -> list[Segment]:
        return ctx.say("provider.locked_options")

    def gather(self, ctx: Ctx) -> Gather:
        return Gather(hints=prompts.words(ctx.lang, "provider.main_menu"))

    def handle(self, ctx: Ctx, inp: Input) -> Outcome:
        if chosen_key(inp.digits, inp.speech, {"1": "provider.main_menu"}, (ctx.lang,)) == "1":
            return Goto("main_menu")
        return NoMatch()
