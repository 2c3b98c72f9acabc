"""Audio descriptions: providers upload or see what they recorded by phone; staff listen,
read the transcript, and approve or reject with a reason the provider sees.

Only an approved description is ever played to callers (``audio.description``)."""
from __future__ import annotations

from typing import cast

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import case
from werkzeug.wrappers import Response

from audio.description import add_upload
from audio.service import AudioService
from audio.upload import UploadError
from catalogue.db import get_db
from catalogue.descriptions import review
from catalogue.models import AudioDescription, Event
from catalogue.timeutil import utcnow
from . import access
from .forms import ReviewForm, UploadForm, choices
from .i18n import current_lang, t
from .listing import filter_form, filtered, paginate, value

Status = AudioDescription.Status
HIDDEN = (Status.PENDING,)  # recorded by phone but never kept: not the provider's choice yet


def _audio_service() -> AudioService | None:
    return cast("AudioService | None", current_app.extensions.get("lampio_audio"))


def player_url(desc: AudioDescription) -> str | None:
    svc = _audio_service()
    if svc is None or not desc.storage_path:
        return None
    return str(svc.recording_url(desc.storage_path))


STATUSES = [(s.value, f"rec.status_{s.value}")
            for s in (Status.AWAITING_REVIEW, Status.APPROVED, Status.REJECTED)]


def list_recordings() -> str:
    form = filter_form(("q", "provider", "status"), STATUSES)
    stmt = filtered(access.recordings_query().join(AudioDescription.event), form)
    stmt = stmt.where(AudioDescription.status.not_in(HIDDEN))
    if value(form, "status"):
        stmt = stmt.where(AudioDescription.status == Status(value(form, "status")))
    order = case((AudioDescription.status == Status.AWAITING_REVIEW, 0), else_=1)
    page = paginate(get_db(), stmt.order_by(order, AudioDescription.created_at.desc(),
                                            AudioDescription.id.desc()))
    return render_template("admin/recordings.html", recs=page.items, page=page, form=form)


def show_recording(rec_id: int) -> str:
    desc = access.recording_or_404(rec_id)
    if desc.status in HIDDEN:
        abort(404)
    form = ReviewForm()
    return render_template("admin/recording.html", desc=desc, form=form, url=player_url(desc),
                           Status=Status)


@access.staff_only
def review_recording(rec_id: int) -> str | Response | tuple[str, int]:
    desc = access.recording_or_404(rec_id)
    if desc.status in HIDDEN:
        abort(404)
    form = ReviewForm()
    if not form.validate_on_submit():
        return render_template("admin/recording.html", desc=desc, form=form,
                               url=player_url(desc), Status=Status), 400
    approve = form.decision.data == "approve"
    review(get_db(), desc, approve=approve, reason=(form.reason.data or "").strip() or None,
           now=utcnow(), actor=access.actor())
    flash(t("rec.approved" if approve else "rec.rejected"), "success")
    return redirect(url_for("admin.list_recordings"))


def upload_recording() -> str | Response | tuple[str, int]:
    db = get_db()
    events = db.scalars(access.events_query().order_by(Event.title_fi)).all()
    form = UploadForm()
    form.event_id.choices = choices((e.id, f"{e.code} {e.title_fi}") for e in events)
    if not form.is_submitted() and request.args.get("event", "").isdigit():
        form.event_id.data = int(request.args["event"])
    if form.validate_on_submit():
        event = access.event_or_404(form.event_id.data)
        svc = _audio_service()
        if svc is None:
            abort(503)
        try:
            desc = add_upload(db, svc.storage, event, form.lang.data, form.audio.data.stream)
        except UploadError as exc:
            form.audio.errors = [exc.text(current_lang())]
            return render_template("admin/upload.html", form=form), 400
        flash(t("rec.uploaded"), "success")
        return redirect(url_for("admin.show_recording", rec_id=desc.id))
    return render_template("admin/upload.html", form=form)
