"""Registrations of one session (staff only: callers' numbers are personal data). Registering
a caller who phoned staff, cancelling and the waiting list all go through
``catalogue.registration``: the same rules as on the phone."""
from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from catalogue import registration as reg_service
from catalogue.callers import find_or_create
from catalogue.db import get_db
from catalogue.models import Registration, RegistrationStatus
from catalogue.timeutil import utcnow
from . import access
from .forms import AttendanceForm, ConfirmForm, RegisterCallerForm
from .i18n import t
from .templating import local_dt

RESULT_KEYS = {
    reg_service.Kind.CONFIRMED: "reg.result_confirmed",
    reg_service.Kind.WAITING: "reg.result_waiting",
    reg_service.Kind.ALREADY_CONFIRMED: "reg.result_already_confirmed",
    reg_service.Kind.ALREADY_WAITING: "reg.result_already_waiting",
    reg_service.Kind.FULL: "reg.result_full",
    reg_service.Kind.NOT_OPEN: "reg.result_not_open",
    reg_service.Kind.CLOSED: "reg.result_closed",
    reg_service.Kind.CANCELLED: "reg.result_session_cancelled",
    reg_service.Kind.NOT_FOUND: "reg.result_not_found",
}


def _page(session_id: int, form: RegisterCallerForm | None = None,
          status: int = 200) -> tuple[str, int]:
    session = access.session_or_404(session_id)
    db = get_db()
    regs = reg_service.list_for_session(db, session.id, include_cancelled=True)
    positions = {r.id: reg_service.waiting_position(db, r) for r in regs
                 if r.status == RegistrationStatus.WAITING}
    return render_template(
        "admin/registrations.html", session=session, regs=regs, positions=positions,
        form=form or RegisterCallerForm(), action_form=ConfirmForm(), attendance_form=AttendanceForm(),
        RegistrationStatus=RegistrationStatus, now=utcnow()), status


@access.staff_only
def list_registrations(session_id: int) -> tuple[str, int]:
    return _page(session_id)


@access.staff_only
def add_registration(session_id: int) -> tuple[str, int] | Response:
    session = access.session_or_404(session_id)
    form = RegisterCallerForm()
    if not form.validate_on_submit():
        return _page(session_id, form, 400)
    db = get_db()
    assert form.phone_e164 is not None
    caller = find_or_create(db, form.phone_e164)
    name = (form.name.data or "").strip()
    if name:
        caller.name = name
    result = reg_service.register(db, session.id, caller, by_staff=True, now=utcnow())
    level = "success" if result.kind in (reg_service.Kind.CONFIRMED, reg_service.Kind.WAITING) else "warning"
    flash(t(RESULT_KEYS[result.kind], position=result.position or 0,
            opens=_fmt(result.opens_at)), level)
    return redirect(url_for("admin.list_registrations", session_id=session.id))


def _fmt(value: datetime | None) -> str:
    return local_dt(value) if value else ""


def _registration_or_404(reg_id: int) -> Registration:
    """Staff only reach these, but the session check keeps one rule for every lookup."""
    reg = get_db().get(Registration, reg_id)
    if reg is None:
        abort(404)
    access.session_or_404(reg.session_id)
    return reg


@access.staff_only
def cancel_registration(reg_id: int) -> Response:
    reg = _registration_or_404(reg_id)
    session_id = reg.session_id
    if ConfirmForm().validate_on_submit():
        done = reg_service.cancel(get_db(), reg.id, now=utcnow())
        flash(t("reg.cancelled", promoted=len(done.promoted)), "success")
    return redirect(url_for("admin.list_registrations", session_id=session_id))


@access.staff_only
def mark_attendance(reg_id: int) -> Response:
    reg = _registration_or_404(reg_id)
    form = AttendanceForm()
    if form.validate_on_submit():
        reg.attended = {"yes": True, "no": False}.get(form.attended.data or "")
        flash(t("reg.attendance_saved"), "success")
    return redirect(url_for("admin.list_registrations", session_id=reg.session_id) + f"#reg-{reg.id}")
