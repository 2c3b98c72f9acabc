"""Key 0: a person. During office hours a transfer in the same call; otherwise the hours and
a call back (DESIGN rule 2). After either, the caller is back in the main menu."""
from __future__ import annotations

from babel.dates import get_day_names

from catalogue.models import CallbackRequest

from . import prompts, speak
from .office_hours import OfficeHours
from .engine import Ctx, Finish, Goto, Input, Node, Outcome, node
from .reply import Reply, Segment


def spoken_hours(ctx: Ctx) -> str:
    return hours_text(ctx.lang, ctx.settings.office_hours)


def hours_text(lang: str, hours: OfficeHours) -> str:
    """"weekdays between nine and three", as the closed-line sentences say it."""
    window = hours.first_window()
    if window is None:
        return ""
    first, last, opens, closes = window
    days = get_day_names("wide", context="stand-alone", locale=lang)
    span = days[first] if first == last else f"{days[first]} – {days[last]}"
    return prompts.segments(lang, "person.hours", days=span,
                            opens=speak.clock_short(*OfficeHours.said(opens), lang),
                            closes=speak.clock_short(*OfficeHours.said(closes), lang))[0].text


def closed_sentences(lang: str, hours: OfficeHours) -> list[Segment]:
    """Everything the closed line can say, for rendering audio ahead of time."""
    said = hours_text(lang, hours)
    return [s for key in ("person.closed", "person.closed_no_number")
            for s in prompts.segments(lang, key, hours=said)]


def _ask_call_back(ctx: Ctx) -> None:
    if ctx.caller is not None:
        ctx.db.add(CallbackRequest(caller_id=ctx.caller.id, created_at=ctx.now))


@node
class Person(Node):
    name = "person"
    writes = True

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        number = ctx.settings.staff_number
        if number and ctx.settings.office_hours.is_open(ctx.now):
            said = ctx.say("person.connecting")
            return Finish(Reply(speech=said, dial=number))
        if ctx.caller is None:
            return Goto("main_menu", preface=ctx.say("person.closed_no_number", hours=spoken_hours(ctx)))
        _ask_call_back(ctx)
        return Goto("main_menu", preface=ctx.say("person.closed", hours=spoken_hours(ctx)))

    def handle(self, ctx: Ctx, inp: Input) -> Outcome:
        """The transfer ended: the ``<Dial>`` action reports how."""
        status = inp.params.get("DialCallStatus", "")
        if inp.event == "dial" and status == "completed":
            return Goto("main_menu", preface=ctx.say("person.after"))
        _ask_call_back(ctx)
        return Goto("main_menu", preface=ctx.say("person.no_answer"))
