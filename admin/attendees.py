"""A session's attendee list on paper and as a file (staff only: callers' personal data).

The print view lists the people with a place and then those waiting — name, number, status and
an empty column to tick at the door — and the admin's print style leaves out the navigation,
forms and buttons. The CSV has the same people (and the cancelled), with headers in the admin's
language, and names the event, its date and time both in its first rows and in its file name."""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from urllib.parse import quote

from flask import render_template
from werkzeug.wrappers import Response

from catalogue import registration as reg_service
from catalogue.db import get_db
from catalogue.models import Registration, RegistrationStatus, Session
from catalogue.timeutil import to_local
from . import access
from .i18n import current_lang, t
from .templating import local_dt

COLUMNS = ("status", "position", "name", "phone", "language", "registered_at", "by_staff",
           "attended", "to_be_told")


def _people(session: Session, *, include_cancelled: bool) -> list[tuple[Registration, int | None]]:
    db = get_db()
    regs = reg_service.list_for_session(db, session.id, include_cancelled=include_cancelled)
    return [(r, reg_service.waiting_position(db, r)) for r in regs]


def status_text(reg: Registration, position: int | None) -> str:
    if reg.status == RegistrationStatus.WAITING:
        return t("attendees.status_waiting", position=position or "–")
    return t(f"attendees.status_{reg.status.value}")


def where(session: Session) -> str:
    """How to take part, as the list's heading says it."""
    event = session.event
    if event.city is None:
        return t(f"kind.{session.kind.value}")
    return ", ".join(p for p in (event.venue, event.address, event.city.name(current_lang())) if p)


@access.staff_only
def print_list(session_id: int) -> str:
    session = access.session_or_404(session_id)
    people = _people(session, include_cancelled=False)
    return render_template("admin/attendees_print.html", session=session, people=people,
                           status_text=status_text, where=where(session),
                           confirmed=sum(1 for r, _ in people if r.status == RegistrationStatus.CONFIRMED))


def _cell(value: object) -> str:
    """Free text that a spreadsheet would run as a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _yes_no(value: bool | None) -> str:
    return "" if value is None else t("attendees.yes" if value else "attendees.no")


def file_name(session: Session) -> str:
    """``ilmoittautuneet-123-kevatkonsertti-2026-12-03-1400.csv``: the event's code and title
    (plain letters) and the session's local date and time."""
    title = unicodedata.normalize("NFKD", session.event.text("title", current_lang()))
    slug = re.sub(r"[^a-z0-9]+", "-", title.encode("ascii", "ignore").decode().lower()).strip("-")
    return (f"{t('attendees.file_word')}-{session.event.code}-{slug[:40]}-"
            f"{to_local(session.starts_at):%Y-%m-%d-%H%M}.csv")


@access.staff_only
def export_csv(session_id: int) -> Response:
    session = access.session_or_404(session_id)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    event = session.event
    writer.writerow([t("attendees.event"), _cell(event.text("title", current_lang())),
                     t("event.code"), event.code])
    writer.writerow([t("attendees.when"), local_dt(session.starts_at), t("attendees.where"),
                     _cell(where(session))])
    writer.writerow([])
    writer.writerow([t(f"attendees.col_{name}") for name in COLUMNS])
    for r, position in _people(session, include_cancelled=True):
        caller = r.caller
        writer.writerow([
            status_text(r, position) if r.status != RegistrationStatus.WAITING
            else t("attendees.status_waiting_plain"),
            position or "",
            _cell(caller.name if caller else ""),
            caller.phone if caller else "",  # validated E.164: digits after the plus only
            t(f"lang.{caller.language}") if caller and caller.language else "",
            local_dt(r.created_at),
            _yes_no(r.registered_by_staff),
            _yes_no(r.attended),
            t(f"notify.{r.notify_pending}") if r.notify_pending else "",
        ])
    name = file_name(session)
    # A BOM so that Excel opens Finnish letters correctly.
    resp = Response("\ufeff" + out.getvalue(), mimetype="text/csv; charset=utf-8")
    resp.headers["Content-Disposition"] = (f'attachment; filename="{name}"; '
                                           f"filename*=UTF-8''{quote(name)}")
    resp.headers["Cache-Control"] = "no-store"
    return resp
