"""``lampio users create``: the first staff login, and provider logins."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from catalogue.db import session_scope
from catalogue.models import UserRole
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


def init_app(app: Flask) -> None:
    app.cli.add_command(users_group)
