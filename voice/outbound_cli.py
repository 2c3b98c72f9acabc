"""``lampio calls run`` (cron on every host, or by hand), ``close-stale`` and ``staff``."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

calls_cli = AppGroup("calls", help="The calls the service makes (reminders, freed places, changes).")


@calls_cli.command("run")
@click.option("--limit", type=int, default=None, help="Place at most this many calls.")
def calls_run(limit: int | None) -> None:
    """Plan the due calls and place them; safe to run on several hosts at once."""
    from .outbound_job import run_calls

    click.echo(str(run_calls(current_app, limit=limit)))


@calls_cli.command("close-stale")
def calls_close_stale() -> None:
    """End calls open longer than CALL_STALE_HOURS (no status callback came) and clear their
    state; ``calls run`` and the scheduler do this too."""
    from catalogue.db import session_scope
    from catalogue.privacy import close_stale_calls
    from catalogue.timeutil import utcnow

    with session_scope(current_app) as db:
        closed = close_stale_calls(db, now=utcnow(), hours=int(current_app.config["CALL_STALE_HOURS"]))
    click.echo(f"{closed} stale calls closed.")


@calls_cli.command("staff")
def calls_staff() -> None:
    """Calls nobody answered after the retries (ids only: numbers are in the admin)."""
    from sqlalchemy import select

    from catalogue.db import session_scope
    from catalogue.models import OutboundCall

    with session_scope(current_app) as db:
        rows = db.scalars(select(OutboundCall).where(OutboundCall.needs_staff.is_(True))
                          .order_by(OutboundCall.due_at))
        for c in rows:
            click.echo(f"call {c.id}: {c.kind.value}, registration {c.registration_id}, "
                       f"{c.attempts} attempts, last {c.last_result}")
