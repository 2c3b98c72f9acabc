"""The database without Flask: the declarative ``Base`` the models use, the engine, and how a
write transaction begins. Plain SQLAlchemy 2.0, so that the call flows, CLI jobs and tests take a
``Session`` as an ordinary argument and ``import catalogue.models`` loads no web framework.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
import os
import sqlite3
import uuid
from typing import Any, TypeVar, cast

from sqlalchemy import MetaData, create_engine, event, inspect, make_url, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, set_committed_value

from . import pool_ping
from .checkpoint import BACKSTOP_PAGES, Checkpointer
from .writelock import ProcessWriters


class Base(DeclarativeBase):
    # Named constraints, so that later migrations (batch mode on SQLite) can refer to them.
    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


def make_engine(url: str, *, connect_timeout: float = 10.0,
                statement_timeout: float | None = None, busy_timeout: float = 60.0) -> Engine:
    """The engine, with bounds on every wait, so that a database that hangs gives an error
    (the caller's spoken apology) instead of a call Twilio drops after 15 s: on PostgreSQL the
    connect timeout, the pool's checkout and a server-side ``statement_timeout``; on SQLite the
    busy timeout (and this process's writer queue) for the write lock. The defaults suit the
    ``lampio`` jobs and migrations; ``catalogue.db`` gives the web app shorter ones.
    ``hide_parameters``: an error's text never carries a statement's values (phone numbers)."""
    kwargs: dict[str, Any] = {"future": True, "hide_parameters": True}
    if url.startswith("sqlite"):
        # Several request threads share the file; wait on the lock a bounded while.
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": busy_timeout}
    else:
        kwargs["pool_timeout"] = connect_timeout
        connect_args: dict[str, Any] = {"connect_timeout": max(1, round(connect_timeout))}
        if statement_timeout:
            connect_args["options"] = f"-c statement_timeout={round(statement_timeout * 1000)}"
        kwargs["connect_args"] = connect_args
    engine = create_engine(url, **kwargs)
    if not url.startswith("sqlite"):
        pool_ping.install(engine)  # a ping only for a connection that lay idle (pool_ping.py)
    if url.startswith("sqlite"):
        file = make_url(url).database
        checkpoints = Checkpointer(file) if file and file != ":memory:" else None
        if checkpoints is not None:
            event.listen(engine, "engine_disposed", lambda _engine: checkpoints.stop())

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy issue BEGIN itself so that BEGIN IMMEDIATE can be used for row-lock
            # semantics (see catalogue.registration); WAL lets readers proceed during a write.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout={round(busy_timeout * 1000)}")
            cur.execute("PRAGMA foreign_keys=ON")
            try:
                cur.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError:
                # Another connection holds the new file's lock while it switches it to WAL, which
                # is kept in the file: this connection finds it so once that one is done.
                pass
            # WAL with NORMAL is durable across application crashes; only a power cut can lose
            # the last commits. No fsync per commit keeps write transactions short.
            cur.execute("PRAGMA synchronous=NORMAL")
            if checkpoints is not None:  # checkpoints by a thread of their own (checkpoint.py)
                cur.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
                checkpoints.start()
            cur.close()

        # Writers queue here first, in this process and then across processes (writelock).
        writers = ProcessWriters(f"{file}-writelock" if checkpoints is not None else None)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            if mode == "IMMEDIATE":
                # A connection may carry a longer bound of its own (migrating at start-up).
                if not writers.acquire(float(conn.get_execution_options().get(
                        "lampio_wait", busy_timeout))):
                    # A writer (of this process, or through the lock file of another) has
                    # held the lock all along: SQLite's wait would only double the time
                    # before the same answer.
                    raise OperationalError("BEGIN IMMEDIATE", None,
                                           sqlite3.OperationalError("database is locked"))
                conn.info["lampio_writer"] = True
            try:
                conn.exec_driver_sql(f"BEGIN {mode}")
            except Exception:
                _release(conn)
                raise

        @event.listens_for(engine, "commit")
        @event.listens_for(engine, "rollback")
        def _release(conn: Any) -> None:
            if conn.info.pop("lampio_writer", False):
                writers.release()
    return engine


def begin_write(db: Session) -> None:
    """Start the session's transaction as a writer. On SQLite that is ``BEGIN IMMEDIATE``: a
    deferred transaction that reads and then writes fails at once with "database is locked" when
    another writer committed meanwhile (WAL snapshots), whereas IMMEDIATE waits for the lock.
    PostgreSQL needs nothing here (its row locks are taken where they are needed)."""
    if db.get_bind().dialect.name == "sqlite":
        if db.in_transaction():
            db.commit()
        db.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def writing(db: Session) -> bool:
    """Already inside a ``BEGIN IMMEDIATE`` transaction (SQLite: a voice webhook that began as
    the writer)."""
    if not db.in_transaction():
        return False
    return db.connection().get_execution_options().get("sqlite_begin") == "IMMEDIATE"


@contextmanager
def writing_now(db: Session) -> Iterator[None]:
    """A few statements of a reading turn that must write (a row made when first needed): on
    PostgreSQL with nothing begun each commits by itself (``committing_itself``); on SQLite
    the turn becomes the writer first, in the writers' queue (``begin_write``: what it read so
    far ends), unless it is one already; otherwise they run in the transaction as it is."""
    if commits_itself(db):
        with committing_itself(db):
            yield
        return
    if db.get_bind().dialect.name == "sqlite" and not writing(db):
        begin_write(db)
    yield


def _insert_of(bind: Session | Engine) -> Any:
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


def upsert_insert(bind: Session | Engine, target: Any) -> Any:
    """An INSERT of ``target`` in the bind's own dialect, so that it has ``on_conflict_do_nothing``
    / ``on_conflict_do_update`` (PostgreSQL's or SQLite's; both spell them alike)."""
    return _insert_of(bind)(target)


_BUILT: dict[tuple[str, Any], Any] = {}


def upsert_once(bind: Session | Engine, name: str, build: Callable[[Any], Any]) -> Any:
    """``build(insert)``, with ``insert`` the bind's dialect's (as ``upsert_insert``), made on
    first use and kept under ``name``: the INSERTs of a call's turns cost more to build than to
    run. Values come as parameters at execution."""
    insert = _insert_of(bind)
    stmt = _BUILT.get((name, insert))
    if stmt is None:
        stmt = _BUILT[(name, insert)] = build(insert)
    return stmt


M = TypeVar("M", bound=Base)
_UNHURRIED = text("SET LOCAL synchronous_commit TO OFF")


def attach(db: Session, model: type[M], row: Any, *, fresh: bool = False) -> M:
    """``row`` (all of ``model``'s columns by name, as this transaction's ``INSERT … RETURNING``
    or a Core ``SELECT`` gave them) as an object of the session, as if a query had loaded it: a
    Core statement costs a fraction of the ORM's unit of work or loading, and the rest of the
    request still has the object. ``fresh``: an object the session holds already takes the
    row's values, as ``populate_existing`` would have it (a row read under its lock)."""
    values = row if isinstance(row, Mapping) else row._mapping
    mapper = inspect(model)
    key = mapper.identity_key_from_primary_key(tuple(values[c.name] for c in mapper.primary_key))
    held = db.identity_map.get(key)
    if held is not None:  # the session has it already (a known caller, loaded before)
        if fresh:
            for attr in mapper.column_attrs:
                set_committed_value(held, attr.key, values[attr.columns[0].name])
        return cast(M, held)
    # A bare instance filled as the ORM's own loader fills one: the constructor's attribute
    # events would record each value as a change only for the next line to forget them all.
    obj = cast(M, mapper.class_manager.new_instance())  # the manager of ``model`` itself
    instance_state(obj).dict.update(  # by name: the row may come from a CTE of the table
        {attr.key: values[attr.columns[0].name] for attr in mapper.column_attrs})
    make_transient_to_detached(obj)
    db.add(obj)
    return obj


def load(db: Session, model: type[M], stmt: Any, params: Mapping[str, Any], *,
         fresh: bool = False) -> M | None:
    """The first row of ``stmt``, a Core ``SELECT`` of all of ``model``'s columns (built once),
    as the object a query of the entity would give (``attach``), for a fraction of its cost:
    the ORM builds a loader for each of an entity's attributes on every execution, which was
    half a millisecond of a phone confirm for one session's row. What the session holds unsaved
    is written first all the same: ``Session.execute`` autoflushes before a Core statement too."""
    row = db.execute(stmt, params).first()
    return None if row is None else attach(db, model, row, fresh=fresh)


def commits_itself(db: Session) -> bool:
    """Whether ``committing_itself`` applies: PostgreSQL, and the session has begun nothing."""
    return db.get_bind().dialect.name == "postgresql" and not db.in_transaction()


@contextmanager
def committing_itself(db: Session) -> Iterator[None]:
    """Each statement inside commits by itself (PostgreSQL, nothing begun: ``commits_itself``):
    no ``BEGIN`` before it and no ``COMMIT`` after it, and a row lock it takes is held only
    while the server runs it, never while this process waits for the interpreter between two
    statements (under load that wait, not the database, made the locks' queues). The session's
    transaction ends after the block, so what was queued for after the commit is sent."""
    db.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        yield
    except BaseException:
        db.rollback()
        raise
    db.commit()  # hands the connection back as it was: the next statement begins anew


@contextmanager
def reading_alone(db: Session) -> Iterator[Connection]:
    """The connection for a read with no ``BEGIN`` or ``COMMIT`` around it where that is
    cheaper: on PostgreSQL, with nothing begun or waiting in the session, a pooled connection
    of its own in autocommit (each of those is a round trip; going through the session's own
    autocommit, ``committing_itself``, cost 0.05 ms more a read). Elsewhere the
    session's, in its transaction, after what it holds unsaved (as a query's autoflush): on
    SQLite a read with ``BEGIN`` left out gained nothing measurable."""
    bind = db.get_bind()
    if isinstance(bind, Engine) and commits_itself(db) and not (db.new or db.dirty or db.deleted):
        with bind.connect() as conn:
            yield conn.execution_options(isolation_level="AUTOCOMMIT")
        if db.in_transaction():  # begun by an object attached inside: ended, with no statement
            db.commit()
        return
    db.flush()
    yield db.connection()


def commit_unhurried(db: Session) -> None:
    """Commit a write whose loss in a database server's crash costs nothing anyone was told —
    a call's end, menu visits and the like — without waiting for it to reach the disk: on
    PostgreSQL ``synchronous_commit`` is off for this one transaction (a crash loses at most
    the last few hundred milliseconds of such commits, each whole or not at all; the fsync was
    most of a hang-up there). SQLite's WAL with ``synchronous=NORMAL`` waits for no disk anyway.
    Registrations and anything a caller is told commit with ``commit`` as always."""
    if db.get_bind().dialect.name == "postgresql" and db.in_transaction():
        db.execute(_UNHURRIED)
    db.commit()


def commit_pending(db: Session) -> None:
    """Commit only when there is something to end: a begun transaction or objects waiting. A
    turn that read nothing (most of the programme walk) then costs no commit at all."""
    if db.in_transaction() or db.new or db.dirty or db.deleted:
        db.commit()


@contextmanager
def private_database(url: str) -> Iterator[str]:
    """On PostgreSQL, a fresh database of this run's own on the same server (dropped after), so
    that test or benchmark runs in parallel, or one that died earlier, cannot disturb each
    other. Any other URL is used as it is."""
    if not url.startswith("postgresql"):
        yield url
        return
    server = make_url(url)
    name = f"lampio_scratch_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
