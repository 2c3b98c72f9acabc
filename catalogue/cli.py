"""CLI commands of the catalogue: ``lampio db upgrade``, ``lampio db check``, ``lampio demo load``."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

db_cli = AppGroup("db", help="The database schema (Alembic migrations in migrations/).")
demo_cli = AppGroup("demo", help="The demo programme.")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Migrate to the newest schema and add the five cities if missing."""
    from .setup import prepare_database

    added = prepare_database(current_app, demo=False)
    click.echo(f"Database at head; {added['cities']} cities added.")


@db_cli.command("check")
def db_check() -> None:
    """Fail when the models and the migrations differ (run migrations/regenerate.sh)."""
    from alembic.util.exc import CommandError

    from .migrate import check

    try:
        check(current_app)
    except CommandError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("Models and migrations match.")


@demo_cli.command("load")
def demo_load() -> None:
    """Add the demo programme for this week and next (skips what exists)."""
    from .setup import prepare_database

    added = prepare_database(current_app, demo=True)
    click.echo(", ".join(f"{n} {what} added" for what, n in added.items()))


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(demo_cli)
    from .privacy import init_app as init_privacy  # lampio registrations purge
    init_privacy(app)
