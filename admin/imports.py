"""Staff pages of the imports: the sources (add, edit, import now) and the worklist of imported
events waiting for approval. The catalogue's importers do the work; this is their channel."""
from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from catalogue import schedule
from catalogue.db import commit_pending, get_db, get_sessionmaker
from catalogue.importers import runner
from catalogue.importers.records import ImportFailed
from catalogue.models import City, Event, ImportSource, Provider, SourceKind
from . import access
from .forms import choices
from .i18n import current_lang, t
from .import_forms import DecisionForm, SourceForm
from .listing import filter_form, filtered, paginate


def _form(source: ImportSource | None) -> SourceForm:
    db = get_db()
    form = SourceForm(obj=source)
    lang = current_lang()
    form.city_id.choices = choices((c.id, c.name(lang)) for c in db.scalars(select(City).order_by(City.id)))
    form.provider_id.choices = choices([(0, t("imports.provider_none"))] + [
        (p.id, p.name) for p in db.scalars(select(Provider).order_by(Provider.name))])
    if not form.is_submitted():
        if source is None:
            form.interval_minutes.data, form.window_days.data = 360, 28
            form.keywords.data, form.enabled.data = "yso:p2433", True
        else:
            form.kind.data = source.kind.value
            form.provider_id.data = source.provider_id or 0
    return form


@access.staff_only
def list_sources() -> str:
    sources = get_db().scalars(select(ImportSource).order_by(ImportSource.name)).all()
    return render_template("admin/imports.html", sources=sources, run_form=DecisionForm())


@access.staff_only
def edit_source(source_id: int | None = None) -> str | Response:
    db = get_db()
    source = db.get(ImportSource, source_id) if source_id else None
    if source_id and source is None:
        abort(404)
    form = _form(source)
    if form.validate_on_submit():
        taken = db.scalar(select(ImportSource.id).where(ImportSource.name == (form.name.data or "").strip()))
        if taken is not None and (source is None or taken != source.id):
            form.name.errors = ["imports.err_name_taken"]
        else:
            source = source or ImportSource(last_result="")
            source.name = (form.name.data or "").strip()
            source.kind = SourceKind(form.kind.data)
            source.url = (form.url.data or "").strip()
            source.keywords = (form.keywords.data or "").strip()
            source.city_id = form.city_id.data
            source.provider_id = form.provider_id.data or None
            source.auto_approve = bool(form.auto_approve.data)
            source.interval_minutes = form.interval_minutes.data or 360
            source.window_days = form.window_days.data or 28
            source.enabled = bool(form.enabled.data)
            db.add(source)
            flash(t("imports.saved"), "success")
            return redirect(url_for("admin.list_sources"))
    return render_template("admin/import_source.html", form=form, source=source)


@access.staff_only
def run_source(source_id: int) -> Response:
    """Import now, in the request: the runner uses its own sessions and commits itself."""
    if not DecisionForm().validate_on_submit() or get_db().get(ImportSource, source_id) is None:
        return redirect(url_for("admin.list_sources"))
    commit_pending(get_db())
    try:
        outcome = runner.run(get_sessionmaker(current_app), source_id)
        flash(t("imports.ran", result=str(outcome)), "success")
    except ImportFailed as exc:
        flash(t("imports.failed", error=str(exc)), "error")
    return redirect(url_for("admin.list_sources"))


@access.staff_only
def worklist() -> str:
    """Imported events waiting for a decision: searched and in pages (an import can bring
    hundreds at once)."""
    form = filter_form(("q", "city", "provider"))
    stmt = filtered(select(Event).where(Event.review == "pending"), form)
    page = paginate(get_db(), stmt.order_by(Event.title_fi, Event.id))
    return render_template("admin/import_worklist.html", events=page.items, page=page,
                           search=form, form=DecisionForm(), args=request.args.to_dict())


@access.staff_only
def decide(event_id: int) -> Response:
    db = get_db()
    event = db.get(Event, event_id)
    form = DecisionForm()
    if event is not None and form.validate_on_submit():
        approve = form.decision.data == "approve"
        schedule.review_event(db, event, approved=approve, actor=access.actor())
        flash(t("imports.approved" if approve else "imports.rejected", code=event.code), "success")
    # back to the same search and page (the list's query string came along with the form)
    back: dict[str, Any] = request.args.to_dict()
    return redirect(url_for("admin.import_worklist", **back))
