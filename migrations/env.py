"""Alembic environment, configured in code by ``catalogue.migrate`` (no alembic.ini).

``catalogue.migrate`` passes an open connection that is already inside a transaction (and holds
the start-up lock), so a migration and the seeding after it commit together or not at all.
"""
from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

import catalogue.models  # noqa: F401  (registers every table on Base.metadata)
from catalogue.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    # Batch mode lets ALTERs run on SQLite (which rebuilds the table); on PostgreSQL batch
    # operations are plain ALTERs, so one migration file serves both databases.
    # (On SQLite a rebuild drops the old table: ``catalogue.migrate`` turns foreign keys off
    # around the migration's transaction and checks them all before it commits.)
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.begin() as conn:
            _configure(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
