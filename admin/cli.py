"""``lampio users create``: the first staff login, and provider logins; ``lampio users link``:
a one-time password link when nobody can log in."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from catalogue.db import session_scope
from catalogue.models import User, UserRole
from .users import MIN_PASSWORD, create_user


@click.group("users")
def users_group() -> None:
    """Web admin logins."""


@users_group.command("create")
@click.option("--email", required=True, help="The login e-mail address.")
@click.option("--role", type=click.Choice([r.value for r in UserRole]), required=True)
@click.option("--provider-id", type=int, default=None, help="For --role provider: whose events.")
@click.option("--password", default=None,
              help=f"At least {MIN_PASSWORD} characters; asked for (hidden) when left out.")
@with_appcontext
def create_command(email: str, role: str, provider_id: int | None, password: str | None) -> None:
    """Create a web admin user."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with session_scope(current_app) as db:
            user = create_user(db, email=email, password=password, role=role,
                               provider_id=provider_id)
            click.echo(f"created {user.role.value} user {user.email} (id {user.id})")
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


@users_group.command("link")
@click.option("--email", required=True, help="The login whose password is to be set.")
@with_appcontext
def link_command(email: str) -> None:
    """Print a one-time link to set the password (for staff who cannot log in at all)."""
    from catalogue.setup import base_url
    from catalogue.timeutil import utcnow
    from sqlalchemy import select

    from . import resets
    from .users import normalise_email

    with session_scope(current_app) as db:
        user = db.scalar(select(User).where(User.email == normalise_email(email)))
        if user is None or not user.active:
            raise click.ClickException(f"no active user {email}")
        token, expires = resets.issue(db, user, None, int(current_app.config["PASSWORD_RESET_HOURS"]),
                                      utcnow())
    click.echo(f"{base_url(current_app)}/admin/password/{token}")
    click.echo(f"(works once, until {expires:%Y-%m-%d %H:%M} UTC)")


@click.command("print")
@click.option("--week", default=None, help="ISO week, e.g. 2026-W49 (default: this week).")
@click.option("--city", default=None, help="City slug, e.g. turku (default: all cities).")
@click.option("--lang", type=click.Choice(["fi", "sv", "en"]), default="fi", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["pdf", "html"]), default="pdf", show_default=True)
@click.option("--out", "out_dir", default=None, help="Folder (default: instance/print).")
@with_appcontext
def print_command(week: str | None, city: str | None, lang: str, fmt: str,
                  out_dir: str | None) -> None:
    """Write the large-print weekly programme and print the path of the file."""
    from pathlib import Path

    from . import printing
    from .week_programme import parse_week

    try:
        monday = parse_week(week) if week else printing.this_monday()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--week") from None
    folder = Path(out_dir) if out_dir else Path(current_app.instance_path) / "print"
    with current_app.test_request_context(), session_scope(current_app) as db:
        try:
            path = printing.write(current_app, db, monday, city, lang, folder, fmt)
        except LookupError as exc:
            raise click.BadParameter(str(exc), param_hint="--city") from None
    click.echo(str(path))


def init_app(app: Flask) -> None:
    app.cli.add_command(users_group)
    app.cli.add_command(print_command)
