"""The audit log for staff (``/admin/log``: newest first, filtered, in pages) and how an entry
reads on any page: who (a login's e-mail, or the phone, or the service), what, and each changed
field before → after. The entries are written by the catalogue's services only."""
from __future__ import annotations

import math
from datetime import datetime, time, timedelta
from typing import Any

from flask import render_template, request, url_for

from catalogue import audit
from catalogue.db import get_db
from catalogue.models import AuditEntry
from catalogue.timeutil import LOCAL_TZ, to_utc
from . import access
from .forms import AuditFilterForm, choices
from .i18n import has, t

PER_PAGE = 50


def who(entry: AuditEntry) -> str:
    return entry.actor if entry.channel == "admin" and entry.actor else t(f"audit.channel_{entry.channel}")


def what(entry: AuditEntry) -> str:
    key = f"audit.act.{entry.action}"
    return t(key) if has(key) else entry.action


def field_name(name: str) -> str:
    key = f"audit.field.{name}"
    return t(key) if has(key) else name


def shown(v: Any) -> str:
    if v is None or v == "":
        return "–"
    if isinstance(v, bool):
        return t("reg.attended_yes") if v else t("reg.attended_no")
    for key in (f"audit.value.{v}", f"kind.{v}"):
        if isinstance(v, str) and has(key):
            return t(key)
    return str(v)


def changes(entry: AuditEntry) -> list[tuple[str, str, str]]:
    """(field, before, after) for each field the entry names."""
    before, after = entry.before or {}, entry.after or {}
    return [(field_name(k), shown(before.get(k)) if k in before else "", shown(after.get(k)))
            for k in list(dict.fromkeys([*before, *after]))]


def object_link(entry: AuditEntry) -> str | None:
    """Where the object can be seen, when it has a page."""
    if entry.session_id is not None and entry.object_type in ("session", "registration"):
        return url_for("admin.list_registrations", session_id=entry.session_id)
    if entry.object_type == "event":
        return url_for("admin.show_event", event_id=entry.object_id)
    if entry.object_type == "recording":
        return url_for("admin.show_recording", rec_id=entry.object_id)
    if entry.object_type == "session_audio":
        return url_for("admin.show_session_audio", audio_id=entry.object_id)
    return None


def entries_of(obj_type: str, obj_id: int) -> list[AuditEntry]:
    """One object's own entries, for its page (staff only: the log names logins)."""
    if not access.user().is_staff:
        return []
    return audit.for_object(get_db(), obj=(obj_type, obj_id))


def helpers() -> dict[str, Any]:
    """For every admin template (``_audit.html`` uses them)."""
    return {"audit_who": who, "audit_what": what, "audit_changes": changes,
            "audit_link": object_link, "audit_entries": entries_of}


def _day_start(day: Any) -> datetime:
    return to_utc(datetime.combine(day, time(0), LOCAL_TZ))


@access.staff_only
def log_page() -> str:
    form = AuditFilterForm(request.args)
    form.type.choices = choices([("", t("audit.any"))] +
                                [(k, t(f"audit.type_{k}")) for k in audit.OBJECT_TYPES])
    form.channel.choices = choices([("", t("audit.any"))] +
                                   [(c, t(f"audit.channel_{c}")) for c in audit.CHANNELS])
    valid = form.validate()
    flt = audit.Filter()
    if valid:
        flt = audit.Filter(
            object_type=form.type.data if form.type.data in audit.OBJECT_TYPES else "",
            channel=form.channel.data if form.channel.data in audit.CHANNELS else "",
            actor=(form.actor.data or "").strip(), action=(form.action.data or "").strip(),
            since=_day_start(form.since.data) if form.since.data else None,
            until=_day_start(form.until.data + timedelta(days=1)) if form.until.data else None)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    entries, total = audit.search(get_db(), flt, page=page, per_page=PER_PAGE)
    pages = max(math.ceil(total / PER_PAGE), 1)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("admin/audit_log.html", form=form, entries=entries, total=total,
                           page=page, pages=pages, args=args)
