"""Key 0: a person. During office hours a transfer in the same call; otherwise every window of
the office hours is said and the caller is asked whether we should call back (1 yes, 2 no) —
nothing is stored before they say yes (DESIGN rules 2 and 5). A caller whose number is withheld
may type one, hear it read back and confirm. Before a language is chosen, what 0 says is said
in all three languages. After it all, the caller is back in the main menu."""
from __future__ import annotations

from typing import Any

from catalogue import callers
from catalogue.models import CallbackRequest, Caller

from . import prompts
from .engine import Ctx, Finish, Goto, Input, Menu, Node, Option, Outcome, node
from .hours_words import call_back_when, day_words, hours_text
from .office_hours import OfficeHours
from .someone_else import NumberReadBack, PhoneEntry
from .reply import Reply, Segment


def spoken_hours(ctx: Ctx) -> str:
    return hours_text(ctx.lang, ctx.settings.office_hours)


def closed_sentences(lang: str, hours: OfficeHours) -> list[Segment]:
    """Everything the closed line can say, for rendering audio ahead of time."""
    out = prompts.segments(lang, "person.closed", hours=hours_text(lang, hours))
    for ahead, weekday in [(0, 0), (1, 0)] + [(2, d) for d in range(7)]:
        out += prompts.segments(lang, "person.call_back_done", when=day_words(lang, ahead, weekday))
    return out


def _everyone(key: str, hours: OfficeHours, **values: str) -> list[Segment]:
    """A line in all three languages (no language chosen yet), briefly."""
    return [s for lang in prompts.LANGUAGES
            for s in prompts.segments(lang, key, hours=hours_text(lang, hours), **values)]


def _back(ctx: Ctx, preface: list[Segment]) -> Outcome:
    """Back to the main menu; to the language choice while none is chosen."""
    return Goto("main_menu" if "lang" in ctx.state else "language", preface=preface)


def _topic(ctx: Ctx) -> dict[str, Any]:
    """Where the caller pressed 0 and the session they were hearing about: carried to the
    request, so staff know what the call back is about."""
    return {k: ctx.data[k] for k in ("back", "about") if ctx.data.get(k) is not None}


def _store(ctx: Ctx, caller: Caller) -> Outcome:
    back, about = ctx.data.get("back"), ctx.data.get("about")
    ctx.db.add(CallbackRequest(caller_id=caller.id, created_at=ctx.now, lang=ctx.lang,
                               topic=str(back)[:40] if back else None,
                               session_id=about if isinstance(about, int) else None))
    when = call_back_when(ctx.lang, ctx.settings.office_hours, ctx.now)
    return Goto("main_menu", preface=ctx.say("person.call_back_done", when=when))


@node
class Person(Node):
    name = "person"
    writes = True

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        hours = ctx.settings.office_hours
        number = ctx.settings.staff_number
        known = "lang" in ctx.state
        if number and hours.is_open(ctx.now):
            said = ctx.say("person.connecting") if known else _everyone("person.connecting", hours)
            return Finish(Reply(speech=said, dial=number))
        if not known:
            return _back(ctx, _everyone("person.closed", hours))
        return Goto("call_back_offer", _topic(ctx),
                    preface=ctx.say("person.closed", hours=spoken_hours(ctx)))

    def handle(self, ctx: Ctx, inp: Input) -> Outcome:
        """The transfer ended: the ``<Dial>`` action reports how."""
        status = inp.params.get("DialCallStatus", "")
        hours = ctx.settings.office_hours
        if "lang" not in ctx.state:
            key = "person.after" if inp.event == "dial" and status == "completed" else "person.no_answer"
            return _back(ctx, _everyone(key, hours))
        if inp.event == "dial" and status == "completed":
            return Goto("main_menu", preface=ctx.say("person.after"))
        return Goto("call_back_offer", _topic(ctx), preface=ctx.say("person.no_answer"))


@node
class CallBackOffer(Menu):
    """"Shall we call you back?" 1 yes / 2 no; a withheld number is typed first."""

    name = "call_back_offer"
    writes = True
    intro = "person.call_back"

    def options(self, ctx: Ctx) -> list[Option]:
        return [Option("1", "person.call_back_yes", "yes", self._yes),
                Option("2", "person.call_back_no", "no",
                       lambda c: Goto("main_menu", preface=c.say("person.no_call_back")))]

    def _yes(self, ctx: Ctx) -> Outcome:
        if ctx.caller is None:
            return Goto("call_back_number", _topic(ctx))
        return _store(ctx, ctx.caller)


@node
class CallBackNumber(PhoneEntry):
    """A withheld number: type the number to call back, ended with #."""

    name = "call_back_number"

    def enter(self, ctx: Ctx) -> list[Segment]:
        return ctx.say("someone_else.ask_own")

    def confirm(self, ctx: Ctx, number: str) -> Outcome:
        return Goto("call_back_confirm", {"number": number, **_topic(ctx)})


@node
class CallBackConfirm(NumberReadBack):
    """The typed number read back: 1 right (the request is stored) / 2 type it again."""

    name = "call_back_confirm"

    def accept(self, ctx: Ctx) -> Outcome:
        return _store(ctx, callers.find_or_create(ctx.db, ctx.data["number"]))

    def again(self, ctx: Ctx) -> Outcome:
        return Goto("call_back_number", _topic(ctx))
