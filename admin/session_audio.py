"""Recordings by phone in the admin: the audio of recording sessions (a provider's upload, or a
live room's recording). Staff listen and approve or reject it; only approved audio is offered to
callers (``catalogue.listening``). Providers upload audio for their own recording sessions and
see the decision; the page style is the description review's."""
from __future__ import annotations


from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import Select, case, select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response
from wtforms import SelectField
from wtforms.validators import InputRequired

from audio.session_audio import store_upload
from audio.upload import UploadError
from catalogue import listening
from catalogue.db import get_db
from catalogue.models import Event, Session, SessionAudio, SessionKind
from catalogue.timeutil import utcnow

from . import access
from .formats import local_span
from .forms import REQUIRED, ReviewForm, choices
from .i18n import current_lang, t
from .listing import filter_form, filtered, paginate, value

Status = SessionAudio.Status


class SessionUploadForm(FlaskForm):
    session_id = SelectField("listen.session", coerce=int, validators=[InputRequired(REQUIRED)])
    audio = FileField("rec.file", validators=[FileRequired(REQUIRED)])


def _query() -> Select[SessionAudio]:
    return access.own_only(select(SessionAudio).join(SessionAudio.session).join(Session.event)
                .options(joinedload(SessionAudio.session).joinedload(Session.event)))


def _audio_or_404(audio_id: int) -> SessionAudio:
    found = get_db().scalar(_query().where(SessionAudio.id == audio_id))
    if found is None:
        abort(404)
    return found


def _url(name: str) -> str | None:
    svc = current_app.extensions.get("lampio_audio")
    return str(svc.recording_url(name)) if svc is not None and name else None


STATUSES = [(s.value, f"listen.status_{s.value}")
            for s in (Status.PENDING, Status.APPROVED, Status.REJECTED)]


def list_session_audio() -> str:
    form = filter_form(("q", "provider", "status"), STATUSES)
    stmt = filtered(_query(), form)
    if value(form, "status"):
        stmt = stmt.where(SessionAudio.status == Status(value(form, "status")))
    order = case((SessionAudio.status == Status.PENDING, 0), else_=1)
    page = paginate(get_db(), stmt.order_by(order, SessionAudio.created_at.desc(),
                                            SessionAudio.id.desc()))
    return render_template("admin/listen_list.html", rows=page.items, page=page, form=form)


def _show(audio: SessionAudio, form: ReviewForm) -> str:
    return render_template("admin/listen_one.html", audio=audio, form=form,
                           url=_url(audio.storage_path), parts=[_url(p) for p in audio.parts],
                           Status=Status)


def show_session_audio(audio_id: int) -> str:
    return _show(_audio_or_404(audio_id), ReviewForm())


@access.staff_only
def review_session_audio(audio_id: int) -> str | Response:
    audio = _audio_or_404(audio_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        return Response(_show(audio, form), status=400, mimetype="text/html")
    approve = form.decision.data == "approve"
    listening.review(get_db(), audio, approve=approve,
                     reason=(form.reason.data or "").strip() or None, now=utcnow(),
                     actor=access.actor())
    flash(t("listen.approved" if approve else "listen.rejected"), "success")
    return redirect(url_for("admin.list_session_audio"))


def upload_session_audio() -> str | Response:
    db = get_db()
    sessions = db.scalars(access.own_only(
        select(Session).join(Session.event)
        .where(Session.kind == SessionKind.RECORDING, Session.ends_at > utcnow())
        .options(joinedload(Session.event)).order_by(Event.title_fi, Session.starts_at))).all()
    form = SessionUploadForm()
    form.session_id.choices = choices(
        (s.id, f"{s.event.code} {s.event.title_fi} – {local_span(s.starts_at, s.ends_at)}") for s in sessions)
    if not form.is_submitted() and request.args.get("session", "").isdigit():
        form.session_id.data = int(request.args["session"])
    if form.validate_on_submit():
        session = access.session_or_404(form.session_id.data)
        svc = current_app.extensions.get("lampio_audio")
        if svc is None or session.kind != SessionKind.RECORDING:
            abort(404 if svc is not None else 503)
        try:
            stored = store_upload(svc.storage, form.audio.data.stream,
                                  int(current_app.config["RECORDING_PART_SECONDS"]))
        except UploadError as exc:
            form.audio.errors = [exc.text(current_lang())]
            return Response(render_template("admin/listen_upload.html", form=form), status=400,
                            mimetype="text/html")
        audio = listening.create_audio(db, session, stored.whole, stored.parts,
                                       stored.part_seconds, stored.duration,
                                       SessionAudio.Source.UPLOAD)
        flash(t("listen.uploaded"), "success")
        return redirect(url_for("admin.show_session_audio", audio_id=audio.id))
    page = render_template("admin/listen_upload.html", form=form)
    return Response(page, status=400 if form.is_submitted() else 200, mimetype="text/html")
