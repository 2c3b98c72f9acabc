"""The per-request session for the Flask channels, and ``session_scope`` for CLI jobs.

Who commits: the admin commits once per request, in ``after_request`` (``_commit``), before the
response leaves; views only add and flush. The voice webhooks commit inside the view
(``voice.views._finish``) before the TwiML is rendered, so that a failed commit becomes the spoken
apology rather than a 500 from ``after_request`` (whose commit then finds nothing to do).
The engine, ``Base`` and ``begin_write`` live in ``catalogue.database`` (no Flask) and are
re-exported here for the code that imported them from this module.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, Response, current_app, g
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from .database import Base, begin_write, commit_pending, make_engine, private_database

__all__ = ["Base", "begin_write", "commit_pending", "get_db", "get_engine", "get_sessionmaker", "init_app",
           "make_engine", "private_database", "request_hooks", "session_scope"]


def get_engine(app: Flask | None = None) -> Engine:
    return (app or current_app).extensions["lampio_engine"]


def get_sessionmaker(app: Flask | None = None) -> sessionmaker[Session]:
    return (app or current_app).extensions["lampio_sessionmaker"]


def get_db() -> Session:
    """The request's session, created on first use; see the module's note on who commits."""
    if "db" not in g:
        g.db = get_sessionmaker()()
    return g.db


@contextmanager
def session_scope(app: Flask) -> Iterator[Session]:
    """A session for CLI commands and background jobs: commit on success, roll back on error."""
    db = get_sessionmaker(app)()
    try:
        yield db
        db.commit()
    except BaseException:
        db.rollback()
        raise
    finally:
        db.close()


def _commit(response: Response) -> Response:
    """Commit before the response leaves, so what the admin's page shows as done is stored; a
    failed commit raises here and becomes the error page instead of a false "saved"."""
    db: Session | None = g.get("db")
    if db is not None and response.status_code < 400:
        commit_pending(db)
    return response


def _teardown(exc: BaseException | None) -> None:
    db: Session | None = g.pop("db", None)
    if db is not None:
        db.rollback()  # no-op after a commit; discards anything an error left behind
        db.close()


def init_app(app: Flask) -> None:
    """The engine with the app's bounds: a webhook or admin page waits at most
    ``DB_STATEMENT_TIMEOUT`` for a statement or SQLite's write lock (a turn must answer within
    Twilio's 15 s); the ``lampio`` commands may wait ``DB_JOB_TIMEOUT``."""
    cfg = app.config
    wait = float(cfg["DB_JOB_TIMEOUT"] if cfg.get("LAMPIO_CLI") else cfg["DB_STATEMENT_TIMEOUT"])
    engine = make_engine(cfg["DATABASE_URL"], connect_timeout=float(cfg["DB_CONNECT_TIMEOUT"]),
                         statement_timeout=wait, busy_timeout=wait)
    app.extensions["lampio_engine"] = engine
    app.extensions["lampio_engine_wait"] = wait  # what a connection's waits go back to
    app.extensions["lampio_sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    request_hooks(app)


def request_hooks(app: Flask) -> None:
    """The commit before the response and the session's end, on ``app`` (the main app, and the
    webhooks' own, which shares its engine: ``voice.webhooks``)."""
    app.after_request(_commit)
    app.teardown_appcontext(_teardown)
