"""The live console: who is in a session's room now, raised hands in order, and the host's
controls (unmute, mute, lower a hand, remove, end; and for staff, call a host in).

For staff and the provider of the session only (``access.session_or_404``). Callers are shown
by first name or the last three digits of their number, never the whole number. The actions go
through the room control that ``voice`` puts in ``app.extensions["lampio_rooms"]`` (Twilio's
participants API), so the admin does not import the phone channel. The page polls
``live.json`` every few seconds while the room is live.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from catalogue.db import get_db
from catalogue.models import LiveRoom, RoomParticipant, Session, SessionKind
from . import access
from .forms import ConfirmForm
from .i18n import t

log = logging.getLogger(__name__)
ACTIONS = {"unmute", "mute", "lower", "remove"}


def label(row: RoomParticipant) -> str:
    """First name, else "…" and the number's last three digits; the host as such."""
    if row.host:
        return t("live.host")
    caller = row.caller
    if caller is not None and caller.name and caller.name.strip():
        return caller.name.split()[0]
    if caller is not None and caller.phone:
        return "…" + caller.phone[-3:]
    return t("live.unknown")


def _session(session_id: int) -> Session:
    session = access.session_or_404(session_id)
    if session.kind != SessionKind.PHONE:
        abort(404)
    return session


def state(session: Session) -> dict[str, Any]:
    db = get_db()
    live = db.scalar(select(LiveRoom).where(LiveRoom.session_id == session.id))
    everyone = list(db.scalars(
        select(RoomParticipant).where(RoomParticipant.session_id == session.id,
                                      RoomParticipant.left_at.is_(None))
        .order_by(RoomParticipant.joined_at, RoomParticipant.id)))
    callers = [r for r in everyone if not r.host]
    hands = sorted((r for r in callers if r.hand_raised_at is not None),
                   key=lambda r: (r.hand_raised_at, r.id))
    return {
        "started": bool(live and live.started_at and not live.ended_at),
        "ended": bool(live and live.ended_at),
        "host_in": any(r.host for r in everyone),
        "participants": [{"id": r.id, "label": label(r), "muted": r.muted,
                          "hand": r.hand_raised_at is not None} for r in callers],
        "hands": [{"id": r.id, "label": label(r)} for r in hands],
    }


def console(session_id: int) -> str:
    session = _session(session_id)
    can_call_host = bool(current_app.config.get("ROOM_HOST_CALLER_ID")) and access.user().is_staff
    return render_template("admin/live.html", session=session, room=state(session),
                           form=ConfirmForm(), can_call_host=can_call_host,
                           staff_number=current_app.config.get("STAFF_PHONE_NUMBER") or "")


def console_json(session_id: int) -> Response:
    return jsonify(state(_session(session_id)))


def _safely(run: Callable[[], bool]) -> bool:
    """A refused or unreachable Twilio request is said on the page, not a 500."""
    try:
        return run()
    except Exception:  # noqa: BLE001 - any REST failure: the action did not happen
        log.exception("live console action failed")
        get_db().rollback()
        return False


def _done(session: Session, ok: bool, message: str) -> Response:
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return jsonify({"ok": ok, **state(session)})
    flash(t(message) if ok else t("live.not_done"), "success" if ok else "error")
    return redirect(url_for("admin.live_console", session_id=session.id))


def act(session_id: int, participant_id: int, action: str) -> Response:
    session = _session(session_id)
    if action not in ACTIONS or not ConfirmForm().validate_on_submit():
        abort(400)
    control = current_app.extensions["lampio_rooms"]
    db = get_db()
    if action in {"mute", "unmute"}:
        ok = _safely(lambda: control.set_muted(db, session.id, participant_id,
                                               muted=action == "mute"))
    elif action == "lower":
        ok = _safely(lambda: control.lower_hand(db, session.id, participant_id))
    else:
        ok = _safely(lambda: control.remove(db, session.id, participant_id))
    return _done(session, ok, f"live.done_{action}")


def end(session_id: int) -> Response:
    session = _session(session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ok = _safely(lambda: current_app.extensions["lampio_rooms"].end(get_db(), session.id))
    return _done(session, ok, "live.done_end")


@access.staff_only
def call_host(session_id: int) -> Response:
    session = _session(session_id)
    number = (request.form.get("number") or "").strip()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ok = number.startswith("+") and number[1:].isdigit() and _safely(
        lambda: current_app.extensions["lampio_rooms"].start(get_db(), session.id, number))
    return _done(session, ok, "live.done_start")

