"""The shared catalogue: models, programme and registration rules, demo data, and the services
that the phone and the admin share. It imports nothing above it (voice, ivr_flows, audio, admin),
and ``import catalogue.models`` loads no Flask: only ``init_app`` does."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    from . import cli, db

    db.init_app(app)
    cli.init_app(app)
