"""Callers: phone numbers normalised to E.164, and the home city a landline suggests."""
from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

import phonenumbers
from sqlalchemy import (ColumnElement, ScalarSelect, Select, String, Table, bindparam, func,
                        select, true)
from sqlalchemy.orm import Session as DbSession

from . import audit
from .database import attach, load, upsert_once
from .models import Caller, City
from .timeutil import utcnow

DEFAULT_REGION = "FI"
# What Twilio sends for a withheld or unknown number.
WITHHELD = {"", "anonymous", "unknown", "restricted", "private", "+266696687", "+7378742833",
            "+2562533", "+8656696"}


@lru_cache(maxsize=4096)  # every turn of a call whose rows wait for the batch asks again
def normalise(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """E.164 for a valid number ("040 123 4567" → "+358401234567"), else None."""
    if raw is None or raw.strip().lower() in WITHHELD:
        return None
    try:
        parsed = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def setting_number(name: str, raw: Any) -> str:
    """A phone number setting as E.164, or "" for none; ValueError names the setting. A number
    the library knows, or one written in E.164 (a range newer than the library's)."""
    text = str(raw or "").strip()
    if not text:
        return ""
    compact = re.sub(r"[\s().-]", "", text)
    e164 = normalise(text) or (compact if re.fullmatch(r"\+[1-9][0-9]{7,14}", compact) else None)
    if e164 is None:
        raise ValueError(f"{name}: expected a phone number such as +358942000000, or nothing, "
                         f"not {text!r}")
    return e164


@lru_cache(maxsize=4096)
def landline_national(e164: str) -> str | None:
    """A Finnish landline's national number ("912345678"), whose area code suggests the home
    city (09 Helsinki, 014 Jyväskylä…); None for a mobile or a foreign number."""
    parsed = phonenumbers.parse(e164)
    if parsed.country_code != 358:
        return None
    if phonenumbers.number_type(parsed) not in (phonenumbers.PhoneNumberType.FIXED_LINE,
                                                 phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return None
    return str(parsed.national_number)


def city_of(national: ColumnElement[str]) -> ScalarSelect[Any]:
    """The id of the city whose area code begins the national number (the longest code wins),
    as a subquery inside the INSERT that adds a caller: no read of its own."""
    return (select(City.id)
            .where(City.area_code.is_not(None), national.like(City.area_code + "%"))
            .order_by(func.length(City.area_code).desc()).limit(1).scalar_subquery())


_CALLERS = cast("Table", Caller.__table__)
# Built once, on the table's columns: ``database.load`` makes the row the session's object.
_BY_PHONE = select(*_CALLERS.c).where(_CALLERS.c.phone == bindparam("phone"))


def find_or_create(db: DbSession, e164: str) -> Caller:
    """The caller with this number, created on first contact (concurrent first calls tolerated)."""
    return find_or_add(db, e164)[0]


def find_or_add(db: DbSession, e164: str, now: datetime | None = None) -> tuple[Caller, bool]:
    """``find_or_create``, and whether this call made the row (the person's first contact:
    nothing can be waiting to be told to them yet); ``now`` is the new row's time."""
    caller = load(db, Caller, _BY_PHONE, {"phone": e164})
    if caller is not None:
        return caller, False
    # One INSERT … ON CONFLICT DO NOTHING RETURNING the row on either database (no savepoint,
    # no flush, no reading it back): a concurrent first call's row wins and is the one read.
    row = db.execute(_added_once(db), {"phone": e164, "national": landline_national(e164),
                                       "now": now or utcnow()}).first()
    if row is not None:
        return attach(db, Caller, row), True
    caller = load(db, Caller, _BY_PHONE, {"phone": e164})  # a concurrent first call's row won
    assert caller is not None
    return caller, False


def new_row() -> Select[Any]:
    """The values of a new caller's row, for ``INSERT … SELECT`` into ``NEW_COLUMNS``
    (parameters: ``phone``, the ``national`` number of a landline, or None, whose area code
    suggests the city, and ``now``): the same row whether added here or inside a call's first
    statement (``catalogue.call_start``, where no Python-side column default would apply)."""
    return select(bindparam("phone", type_=_CALLERS.c.phone.type),
                  city_of(bindparam("national", type_=String)),
                  bindparam("now", type_=_CALLERS.c.created_at.type))


NEW_COLUMNS = ["phone", "city_id", "created_at"]


def _insert_new(insert: Any) -> Any:
    # ``WHERE true``: SQLite reads "SELECT … ON CONFLICT" without a WHERE as a join's ON.
    return (insert(_CALLERS).from_select(NEW_COLUMNS, new_row().where(true()))
            .on_conflict_do_nothing(index_elements=[_CALLERS.c.phone]))


def _added_once(db: DbSession) -> Any:
    return upsert_once(db, "caller", lambda insert: _insert_new(insert).returning(*_CALLERS.c))


def added_if_missing(db: DbSession) -> Any:
    """``find_or_add``'s INSERT returning nothing: many numbers' people in one executemany
    (``catalogue.call_records.ensure_people``)."""
    return upsert_once(db, "caller_if_missing", _insert_new)


def written(e164: str | None) -> str:
    """A stored number as people write it: Finnish numbers nationally ("040 1234567", "09 4200
    0000"), others internationally ("+46 8 123 456"); anything unparsable as it is."""
    if not e164:
        return ""
    try:
        parsed = phonenumbers.parse(e164, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return e164
    national = phonenumbers.region_code_for_number(parsed) == DEFAULT_REGION
    form = (phonenumbers.PhoneNumberFormat.NATIONAL if national
            else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(parsed, form)
def rename(db: DbSession, caller: Caller, name: str | None, actor: audit.Actor | None) -> bool:
    """The one way a known caller's name changes: an explicit edit, logged (registering never
    renames anyone). Returns whether it changed; the caller commits."""
    new = (name or "").strip()[:120] or None
    if new == caller.name:
        return False
    audit.record(db, actor, "caller.rename", "caller", caller.id, before={"name": caller.name},
                 after={"name": new})
    caller.name = new
    return True
