"""CLI commands of the catalogue: ``lampio db upgrade``, ``lampio db check``, ``lampio demo load``."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .db import get_sessionmaker

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
    """Fail when the models and the migrations differ: a model change needs a new file in
    migrations/versions/ (Alembic autogenerate, then read it), after the newest one."""
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


providers_cli = AppGroup("providers", help="Culture providers and their recording-line PINs.")


@providers_cli.command("list")
def providers_list() -> None:
    """Each provider's number (what they type first on the recording line) and name."""
    from sqlalchemy import select

    from .db import session_scope
    from .models import Provider

    with session_scope(current_app) as db:
        for p in db.scalars(select(Provider).order_by(Provider.id)):
            names = " / ".join(n for n in (p.name_sv, p.name_en) if n)
            click.echo(f"{p.id:>4}  {p.name}{f'  ({names})' if names else ''}"
                       f"{'' if p.pin_hash else '  (no PIN yet)'}")


@providers_cli.command("set-names")
@click.argument("provider_id", type=int)
@click.option("--sv", "name_sv", default=None, help="The name said to Swedish callers.")
@click.option("--en", "name_en", default=None, help="The name said to English callers.")
def providers_set_names(provider_id: int, name_sv: str | None, name_en: str | None) -> None:
    """A provider's name in Swedish and English ("Åbo filharmoniska orkester"); an empty one
    makes callers hear the Finnish name."""
    from .db import session_scope
    from .models import Provider

    with session_scope(current_app) as db:
        provider = db.get(Provider, provider_id)
        if provider is None:
            raise click.ClickException(f"no provider {provider_id} (see `lampio providers list`)")
        if name_sv is not None:
            provider.name_sv = name_sv.strip()[:200]
        if name_en is not None:
            provider.name_en = name_en.strip()[:200]


@providers_cli.command("set-pin")
@click.argument("provider_id", type=int)
@click.option("--pin", prompt=True, hide_input=True, confirmation_prompt=True,
              help="4 to 8 digits.")
def providers_set_pin(provider_id: int, pin: str) -> None:
    """Set (or reset) a provider's recording-line PIN; this also lifts a lock."""
    from werkzeug.security import generate_password_hash

    from .db import session_scope
    from .models import Provider

    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
        raise click.BadParameter("a PIN is 4 to 8 digits", param_hint="--pin")
    with session_scope(current_app) as db:
        provider = db.get(Provider, provider_id)
        if provider is None:
            raise click.ClickException(f"no provider {provider_id} (see `lampio providers list`)")
        provider.pin_hash = generate_password_hash(pin)
        provider.pin_failures = provider.own_pin_failures = 0
        provider.pin_locked_until = provider.own_pin_locked_until = None
    click.echo(f"PIN set for provider {provider_id}.")


@providers_cli.command("set-phone")
@click.argument("provider_id", type=int)
@click.argument("number", required=False, default="")
def providers_set_phone(provider_id: int, number: str) -> None:
    """The provider's own phone (E.164, or nothing to remove it): PIN tries from it have a count
    of their own, so wrong PINs typed by others cannot lock the provider out."""
    from .callers import normalise
    from .db import session_scope
    from .models import Provider

    e164 = normalise(number) if number else None
    if number and e164 is None:
        raise click.BadParameter("not a valid phone number", param_hint="NUMBER")
    with session_scope(current_app) as db:
        provider = db.get(Provider, provider_id)
        if provider is None:
            raise click.ClickException(f"no provider {provider_id} (see `lampio providers list`)")
        provider.phone = e164
        provider.own_pin_failures, provider.own_pin_locked_until = 0, None
    click.echo(f"Own phone {'set' if e164 else 'removed'} for provider {provider_id}.")


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(providers_cli)
    from .privacy import init_app as init_privacy  # lampio registrations purge
    init_privacy(app)
    from .importers.cli import import_cli  # lampio import linkedevents|ical|run|sources
    app.cli.add_command(import_cli)
    from . import jobs
    from .importers.runner import run_due

    jobs.register(app, "imports", lambda app_: run_due(get_sessionmaker(app_)))
