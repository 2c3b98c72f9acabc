"""A main-line call whose first webhook wrote nothing (``catalogue.call_records``): what makes
its person's row and its record, from what every webhook of the call carries — the CallSid and
the number in Twilio's form, the start in the URL (``w=``, ``voice.callstate.who``)."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session as DbSession

from catalogue import call_records, callers
from catalogue.models import Caller
from catalogue.timeutil import from_epoch, utcnow

from .visits import VisitBuffer


def number_of(form: Mapping[str, str], direction: str) -> str | None:
    """The person's number: an outbound call's is the one called ("To"), an inbound one's the
    caller's ("From"); None when withheld."""
    return callers.normalise(form.get("To" if direction == "outbound" else "From"))


def direction_of(form: Mapping[str, str]) -> str:
    return "outbound" if form.get("Direction", "").startswith("outbound") else "inbound"


class CallRows:
    """A main-line call's rows from what its every webhook carries (``catalogue.call_records``):
    made when a turn asks for them, in the turn's transaction."""

    def __init__(self, form: Mapping[str, str]) -> None:
        self.form = form

    def number(self) -> str:
        number = number_of(self.form, "inbound")
        if number is None:  # the fingerprint ties the state to this number: never so
            raise ValueError("a call whose person waits for the batch came without a number")
        return number

    def person(self, db: DbSession) -> Caller:
        return call_records.person_now(db, self.number(), utcnow())

    def record(self, db: DbSession, started: int) -> tuple[int, int | None]:
        return call_records.made_now(db, pending_record(self.form, started))


def pending_record(form: Mapping[str, str], started: int, new: bool = True) -> dict[str, Any]:
    """``call_records.record_row`` of a main-line call whose record waits for the batch
    (``new``: its person's row may wait too)."""
    return call_records.record_row(form.get("CallSid", ""), number_of(form, "inbound"), "inbound",
                                   "main", from_epoch(started), new)


def defers(form: Mapping[str, str], line: str, number: str | None) -> bool:
    """Whose first webhook writes nothing: an inbound call on the main line with a number.
    The provider line's PIN, the assistant's channel and outbound calls (whose end decides a
    retry at once) keep their record from the first webhook."""
    return line == "main" and number is not None and direction_of(form) == "inbound"


def note(buffer: VisitBuffer, who: Mapping[str, Any], form: Mapping[str, str],
         visits: list[tuple[str, datetime]], language: str | None) -> None:
    """A turn's visits and a language chosen, by the call's record and the person's row, or,
    while the batch has yet to make them, by the CallSid and the number (``who``: the state's
    own part, or the fields of ``w=``)."""
    if visits:
        if who.get("call_id"):
            buffer.add(int(who["call_id"]), visits)
        elif who.get("at"):
            buffer.add_pending(pending_record(form, int(who["at"]), bool(who.get("np"))), visits)
    if language and who.get("caller_id"):
        buffer.add_language(int(who["caller_id"]), language)
    elif language and who.get("np") and (number := number_of(form, "inbound")):
        buffer.add_language_of(number, language)


def ended_record(end: Mapping[str, Any], form: Mapping[str, str]) -> dict[str, Any] | None:
    """The record an inbound call's end makes when no batch has yet (the caller hung up in the
    greeting, and the first webhook's batch is another process's, not written yet); its start
    is the end less the duration. None for a call whose record its first webhook made."""
    number = number_of(form, "inbound")
    if not defers(form, "main", number):
        return None
    at: datetime = end["at"] - timedelta(seconds=int(end["dur"] or 0))
    return call_records.record_row(str(end["sid"]), number, "inbound", "main", at)
