"""Registrations of one session (staff only: callers' numbers are personal data). Registering
a caller who phoned staff, cancelling and the waiting list all go through
``catalogue.registration``: the same rules as on the phone."""
from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from catalogue import audit, callers
from catalogue import registration as reg_service
from catalogue.callers import find_or_create
from catalogue.db import get_db
from catalogue.models import Registration, RegistrationStatus
from catalogue.timeutil import utcnow
from . import access
from .forms import AttendanceForm, ConfirmForm, RegisterCallerForm
from .formats import local_dt
from .i18n import t, tn

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
    # Just cancelled here: the page offers to undo it (``?cancelled=<id>``), and says what
    # undoing would do now (a free place back, or the waiting list).
    undo = next((r for r in regs if r.id == request.args.get("cancelled", type=int)
                 and r.status == RegistrationStatus.CANCELLED), None)
    return render_template(
        "admin/registrations.html", session=session, regs=regs, positions=positions,
        form=form or RegisterCallerForm(), action_form=ConfirmForm(), attendance_form=AttendanceForm(),
        RegistrationStatus=RegistrationStatus, now=utcnow(), undo=undo,
        undo_free=undo is not None and not reg_service.is_full(session),
        log=audit.for_object(db, session_id=session.id)), status


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
    result = reg_service.register(db, session.id, caller, by_staff=True, now=utcnow(),
                                  actor=access.actor())
    made = result.kind in (reg_service.Kind.CONFIRMED, reg_service.Kind.WAITING)
    flash(t(RESULT_KEYS[result.kind], position=result.position or 0,
            opens=_fmt(result.opens_at)), "success" if made else "warning")
    # Registering never renames a known caller: a first name is kept only with a registration
    # made; another name is said, and changed only by an explicit edit.
    if name and caller.name is None and made:
        callers.rename(db, caller, name, access.actor())
    elif name and caller.name and name != caller.name:
        flash(t("regcancel.name_kept", name=caller.name), "warning")
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


def _person(reg: Registration) -> str:
    caller = reg.caller
    return (caller.name or caller.phone) if caller is not None else f"#{reg.id}"


@access.staff_only
def cancel_registration(reg_id: int) -> str | Response:
    """A confirmation page first (no script needed), saying what cancelling does to the
    waiting list; then the cancellation, and the registrations page offers to undo it."""
    reg = _registration_or_404(reg_id)
    session_id = reg.session_id
    form = ConfirmForm()
    back = url_for("admin.list_registrations", session_id=session_id)
    if reg.status not in reg_service.ACTIVE:
        return redirect(back)
    if not form.validate_on_submit():
        waiting = reg_service.waiting_count(get_db(), session_id)
        return render_template("admin/registration_cancel.html", reg=reg, session=reg.session,
                               form=form, person=_person(reg), waiting=waiting, back=back,
                               RegistrationStatus=RegistrationStatus)
    done = reg_service.cancel(get_db(), reg.id, now=utcnow(), actor=access.actor())
    flash(t("regcancel.done_promoted" if done.promoted else "regcancel.done"), "success")
    return redirect(url_for("admin.list_registrations", session_id=session_id,
                            cancelled=reg.id) + "#undo")


@access.staff_only
def restore_registration(reg_id: int) -> Response:
    """Undo a cancellation (``catalogue.registration.restore``) and say plainly what it gave."""
    reg = _registration_or_404(reg_id)
    if ConfirmForm().validate_on_submit():
        result = reg_service.restore(get_db(), reg.id, now=utcnow(), actor=access.actor())
        name, kind = _person(reg), result.kind
        if kind == reg_service.Kind.CONFIRMED:
            flash(t("regcancel.restored", name=name), "success")
        elif kind == reg_service.Kind.WAITING:
            flash(t("regcancel.restored_waiting", name=name, position=result.position or 0),
                  "warning")
        elif result.registered:
            flash(t("regcancel.restore_already", name=name), "warning")
        else:
            key = "closed" if kind == reg_service.Kind.CLOSED else "cancelled"
            flash(t(f"regcancel.restore_{key}"), "warning")
    return redirect(url_for("admin.list_registrations", session_id=reg.session_id)
                    + f"#reg-{reg.id}")


@access.staff_only
def mark_attendance(reg_id: int) -> Response:
    reg = _registration_or_404(reg_id)
    form = AttendanceForm()
    if form.validate_on_submit():
        reg.attended = {"yes": True, "no": False}.get(form.attended.data or "")
        flash(t("reg.attendance_saved"), "success")
    return redirect(url_for("admin.list_registrations", session_id=reg.session_id) + f"#reg-{reg.id}")
