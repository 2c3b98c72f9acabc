"""A caller's name, changed only here, on purpose (registering never renames anyone), and
logged (``catalogue.callers.rename``). Staff only: callers are personal data."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from catalogue import audit, callers
from catalogue.db import get_db
from catalogue.models import Caller
from . import access
from .forms import CallerNameForm
from .i18n import t


@access.staff_only
def edit_name(caller_id: int) -> str | Response | tuple[str, int]:
    db = get_db()
    caller = db.get(Caller, caller_id)
    if caller is None:
        abort(404)
    session_id = request.values.get("session", type=int)
    back = (url_for("admin.list_registrations", session_id=session_id) if session_id
            else url_for("admin.index"))
    form = CallerNameForm()
    if not form.is_submitted():
        form.name.data = caller.name or ""
    if form.validate_on_submit():
        changed = callers.rename(db, caller, form.name.data, access.actor())
        flash(t("caller.saved" if changed else "caller.unchanged"), "success")
        return redirect(back)
    status = 400 if form.is_submitted() else 200
    return render_template("admin/caller_name.html", form=form, caller=caller, back=back,
                           session_id=session_id,
                           log=audit.for_object(db, obj=("caller", caller.id))), status
