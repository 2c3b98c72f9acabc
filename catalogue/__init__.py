"""The shared catalogue: models, programme and registration rules, importers, web admin."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import admin, cli, db

    db.init_app(app)
    cli.init_app(app)
    admin.init_app(app)
