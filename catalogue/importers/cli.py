"""``lampio import linkedevents|ical|run|sources``: imports by hand and from cron."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ..db import get_sessionmaker, session_scope
from ..models import City, ImportSource, SourceKind
from ..models.imports import HELSINKI_API
from . import runner
from .records import ImportFailed

F = TypeVar("F", bound=Callable[..., Any])
import_cli = AppGroup("import", help="Bring in events from Linked Events APIs and iCalendar feeds.")


def _source_id(kind: SourceKind, name: str | None, url: str | None, city: str | None) -> int:
    """The named source, or the one with this URL (made when missing, new events waiting for
    approval), or Helsinki's Linked Events by default."""
    with session_scope(current_app) as db:
        if name:
            source = db.scalar(select(ImportSource).where(ImportSource.name == name))
            if source is None:
                raise click.ClickException(f"no source {name!r} (see `lampio import sources`)")
            return source.id
        if url is None:
            if kind != SourceKind.LINKED_EVENTS:
                raise click.UsageError("give --source or --url")
            url = HELSINKI_API
        source = db.scalar(select(ImportSource).where(ImportSource.url == url,
                                                      ImportSource.kind == kind))
        if source is None:
            slug = city or ("helsinki" if url == HELSINKI_API else None)
            city_row = db.scalar(select(City).where(City.slug == slug)) if slug else None
            if city_row is None:
                raise click.UsageError("a new source needs --city (helsinki, turku, …)")
            host = urlsplit(url).hostname or url.rsplit("/", 1)[-1]
            source = ImportSource(name=f"{kind.value}:{host}"[:80], kind=kind, url=url,
                                  city_id=city_row.id, auto_approve=False)
            db.add(source)
            db.flush()
        return source.id


def _run(source_id: int, start: date | None, end: date | None) -> None:
    def progress(done: int, total: int | None) -> None:
        click.echo(f"  read {done} events" + (f" of {total}" if total is not None else ""),
                   err=True)

    try:
        outcome = runner.run(get_sessionmaker(current_app), source_id, start=start, end=end,
                             progress=progress)
    except ImportFailed as exc:
        raise click.ClickException(f"import failed, nothing kept: {exc}") from None
    click.echo(str(outcome))
    for line in outcome.skipped:
        click.echo(f"  skipped {line}")


def _dates(start: str | None, end: str | None) -> tuple[date | None, date | None]:
    try:
        first = date.fromisoformat(start) if start else None
        last = date.fromisoformat(end) if end else None
    except ValueError as exc:
        raise click.BadParameter(f"dates are YYYY-MM-DD ({exc})") from None
    if (first is None) != (last is None):
        if first is not None:
            return first, date.fromordinal(first.toordinal() + 28)
        raise click.UsageError("--end needs --start")
    return first, last


_options = [
    click.option("--source", "name", default=None, help="A source configured in the admin."),
    click.option("--url", default=None, help="An API root, a page URL, or a feed's URL or file."),
    click.option("--city", default=None, help="For a new --url: the city slug of its events."),
    click.option("--start", default=None, help="First day, YYYY-MM-DD (default today)."),
    click.option("--end", default=None, help="Last day (default four weeks on)."),
]


def _with_options(f: F) -> F:
    for option in reversed(_options):
        f = option(f)
    return f


@import_cli.command("linkedevents")
@_with_options
def import_linkedevents(name: str | None, url: str | None, city: str | None,
                        start: str | None, end: str | None) -> None:
    """Import a Linked Events API (Helsinki's by default), following every page."""
    _run(_source_id(SourceKind.LINKED_EVENTS, name, url, city), *_dates(start, end))


@import_cli.command("ical")
@_with_options
def import_ical(name: str | None, url: str | None, city: str | None,
                start: str | None, end: str | None) -> None:
    """Import an iCalendar feed (a URL or a file)."""
    _run(_source_id(SourceKind.ICAL, name, url, city), *_dates(start, end))


@import_cli.command("run")
def import_run() -> None:
    """The scheduled pass: every source whose interval has passed (run it from cron)."""
    for name, result in runner.run_due(get_sessionmaker(current_app)).items():
        click.echo(f"{name}: {result}")


@import_cli.command("sources")
def import_sources() -> None:
    """The configured sources and their last results."""
    with session_scope(current_app) as db:
        for s in db.scalars(select(ImportSource).order_by(ImportSource.name)):
            click.echo(f"{s.name}  {s.kind.value}  {s.url}  every {s.interval_minutes} min"
                       f"{'' if s.enabled else '  (off)'}  {s.last_result}")
