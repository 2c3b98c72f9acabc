"""Background audio work: re-render edited events, transcribe new recordings, tidy up.

Each job reads what to do from the database (sentences of the coming programme missing from the
cache, descriptions whose transcript is pending), so the same ``run_once`` serves the in-app thread, a cron job
(``lampio audio jobs``) and the tests, and nothing is lost when a process stops mid-way.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Callable, cast

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from catalogue.db import session_scope
from catalogue.models import AudioDescription
from catalogue.timeutil import utcnow

from . import render
from .transcribe import NoModel, transcribe_file

if TYPE_CHECKING:
    from .service import AudioService

log = logging.getLogger("lampio.audio.jobs")

Status = AudioDescription.Status
TStatus = AudioDescription.TranscriptStatus
ORPHAN_AGE = timedelta(hours=6)  # a take the provider never kept (the call dropped)


@dataclass
class JobState:
    """Keeps two passes in one process from overlapping."""

    lock: threading.Lock = field(default_factory=threading.Lock)


def _service(app: Flask) -> AudioService:
    return cast("AudioService", app.extensions["lampio_audio"])


def rerender_events(app: Flask, event_ids: list[int] | None = None,
                   now: datetime | None = None,
                   stop: Callable[[], bool] | None = None) -> render.RenderReport:
    """Render what is missing for these events' coming items (all events when None).

    Runs every pass over the whole coming programme: a lookup per sentence is a ``stat``, so an
    edit anywhere (event text, a moved session, a new translation) is picked up without
    tracking what changed.
    """
    svc = _service(app)
    with session_scope(app) as db:
        texts = svc.sentences_to_render(db, now or utcnow(), event_ids)
    # Rendering happens outside the transaction: it can take minutes on a cold cache, so one
    # sentence at a time leaves the other cores to the calls being answered meanwhile.
    report = render.render_all(svc.cache, texts, workers=1, stop=stop)
    if report.rendered:
        log.info("audio cache: %s", report)
    return report


def transcribe_pending(app: Flask, db: DbSession, limit: int = 5) -> int:
    """Transcribe kept recordings whose transcript is pending; unavailable without a model."""
    svc = _service(app)
    rows = list(db.scalars(
        select(AudioDescription)
        .where(AudioDescription.transcript_status == TStatus.PENDING,
               AudioDescription.status != Status.PENDING)
        .order_by(AudioDescription.id).limit(limit)))
    for desc in rows:
        try:
            desc.transcript = transcribe_file(svc.storage.path(desc.storage_path), desc.lang,
                                              svc.vosk_models)
            desc.transcript_status = TStatus.DONE
        except NoModel:
            desc.transcript_status = TStatus.UNAVAILABLE
        except Exception:  # a broken file or model: staff see "failed", the job carries on
            log.exception("transcription of audio description %s failed", desc.id)
            desc.transcript_status = TStatus.FAILED
        db.flush()
    return len(rows)


def remove_orphans(app: Flask, db: DbSession, now: datetime) -> int:
    """Takes left "pending" by a dropped call are deleted with their files."""
    svc = _service(app)
    rows = list(db.scalars(select(AudioDescription).where(
        AudioDescription.status == Status.PENDING,
        AudioDescription.created_at < now - ORPHAN_AGE)))
    for desc in rows:
        svc.storage.delete(desc.storage_path)
        db.delete(desc)
    return len(rows)


ALL_TASKS = ("transcribe", "orphans", "render")


def run_once(app: Flask, state: JobState | None = None, now: datetime | None = None,
             tasks: tuple[str, ...] = ALL_TASKS,
             stop: Callable[[], bool] | None = None) -> dict[str, int]:
    """One pass of the jobs; safe to run concurrently with the app and on several hosts."""
    state = state or JobState()
    now = now or utcnow()
    done: dict[str, int] = {}
    with state.lock:
        if "transcribe" in tasks:
            with session_scope(app) as db:
                done["transcribed"] = transcribe_pending(app, db)
        if "orphans" in tasks:
            with session_scope(app) as db:
                done["orphans"] = remove_orphans(app, db, now)
        if "render" in tasks:
            done["rendered"] = rerender_events(app, now=now, stop=stop).rendered
    return done


class Worker:
    """A daemon thread running ``run_once`` every ``interval`` seconds (sooner when poked)."""

    def __init__(self, app: Flask, interval: float = 30.0) -> None:
        self.app = app
        self.interval = interval
        self.state = JobState()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="lampio-audio-jobs", daemon=True)
            self._thread.start()

    def poke(self) -> None:
        """Something changed (an event was edited, a recording kept): run soon."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                run_once(self.app, self.state, stop=self._stop.is_set)
            except Exception:
                log.exception("audio jobs pass failed")
            self._wake.wait(self.interval)
            self._wake.clear()
