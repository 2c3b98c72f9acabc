"""Plain error pages in the admin's language."""
from __future__ import annotations

from flask import render_template
from werkzeug.exceptions import HTTPException

from .i18n import t


def _page(key: str, status: int) -> tuple[str, int]:
    return render_template("admin/error.html", title=t(key), message=t(key)), status


def forbidden(_exc: HTTPException) -> tuple[str, int]:
    return _page("error.forbidden", 403)


def not_found(_exc: HTTPException) -> tuple[str, int]:
    return _page("error.not_found", 404)


def conflict(_exc: HTTPException) -> tuple[str, int]:
    return _page("error.conflict", 409)
