"""``lampio call``: the terminal phone simulator (filled in by the simulator work)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    pass
