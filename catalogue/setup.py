"""Getting a database ready at start-up, and the banner ``python app.py`` prints.

``prepare_database`` is safe to run from every worker of every host at once: it takes a
database-wide lock (see ``catalogue.migrate.locked_connection``), migrates, and inserts only what
is missing, all in one transaction; an IntegrityError from some other writer is retried once.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from .demo import DEMO_PROVIDER_PIN, load_demo
from .migrate import locked_connection, upgrade_on
from .models import City
from .timeutil import utcnow

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)

DemoLoader = Callable[[DbSession, "Flask"], object]
_DEMO_LOADERS = "lampio_demo_loaders"

# slug, area code without the 0, names in fi / sv / en
CITIES: tuple[tuple[str, str, str, str, str], ...] = (
    ("helsinki", "9", "Helsinki", "Helsingfors", "Helsinki"),
    ("turku", "2", "Turku", "Åbo", "Turku"),
    ("tampere", "3", "Tampere", "Tammerfors", "Tampere"),
    ("jyvaskyla", "14", "Jyväskylä", "Jyväskylä", "Jyväskylä"),
    ("oulu", "8", "Oulu", "Uleåborg", "Oulu"),
)


def seed_cities(db: DbSession) -> int:
    """Insert the five cities that are missing (keyed on the unique slug); never overwrite."""
    existing = set(db.scalars(select(City.slug)))
    added = 0
    for slug, area_code, fi, sv, en in CITIES:
        if slug not in existing:
            db.add(City(slug=slug, area_code=area_code, name_fi=fi, name_sv=sv, name_en=en))
            added += 1
    db.flush()
    return added


def add_demo_loader(app: Flask, loader: DemoLoader) -> None:
    """Let a layer above (the admin: its demo logins) add demo rows of its own inside
    ``prepare_database``'s transaction, without the catalogue importing it."""
    app.extensions.setdefault(_DEMO_LOADERS, []).append(loader)


def prepare_database(app: Flask, demo: bool | None = None) -> dict[str, int]:
    """Migrate to head, seed the cities and, when ``demo`` (default ``DEMO_DATA``), the demo
    programme. Returns what was added."""
    if demo is None:
        demo = bool(app.config.get("DEMO_DATA"))
    for attempt in (1, 2):
        try:
            with locked_connection(app) as conn:
                upgrade_on(conn, app)
                with DbSession(bind=conn) as db:
                    added = {"cities": seed_cities(db)}
                    if demo:
                        added.update(load_demo(db, utcnow()))
                        for loader in app.extensions.get(_DEMO_LOADERS, ()):
                            loader(db, app)
                        from .demo_registrations import load_demo_registrations
                        added.update(load_demo_registrations(db, utcnow()))
                    db.flush()
            return added
        except IntegrityError:
            if attempt == 2:
                raise
            log.info("another process seeded at the same time; checking again")
    raise AssertionError("unreachable")


def base_url(app: Flask) -> str:
    return (app.config.get("PUBLIC_BASE_URL") or f"http://127.0.0.1:{app.config['PORT']}").rstrip("/")


def startup_banner(app: Flask, extra_lines: Sequence[str] = ()) -> str:
    """What someone who just ran ``python app.py`` needs: where to point Twilio, where the admin
    is, how to place a test call, and whether requests are being checked. ``extra_lines`` come
    from the layers above (the admin's demo logins)."""
    base = base_url(app)
    admin = f"{base}/admin/" if "admin" in app.blueprints else "(admin: coming with the admin issue)"
    db_url = make_url(app.config["DATABASE_URL"]).render_as_string(hide_password=True)
    signature = ("OFF (TWILIO_SKIP_SIGNATURE is set; development only)"
                 if app.config.get("TWILIO_SKIP_SIGNATURE") else "on")
    demo = (f"demo data loaded; provider line: provider number 1–8 "
            f"(`lampio providers list`), PIN {DEMO_PROVIDER_PIN}" if app.config.get("DEMO_DATA")
            else "no demo data (DEMO_DATA=0)")
    lines = [
        "Lämpiö Phone is running",
        f"  listening on       http://127.0.0.1:{app.config['PORT']}",
        f"  database           {db_url}",
        "Point the Twilio number (Voice, HTTP POST) at:",
        f"  a call comes in    {base}/voice/incoming",
        f"  call status        {base}/voice/status",
        f"  fallback           {base}/voice/fallback",
        f"  provider line      {base}/voice/provider/incoming",
        f"Admin                {admin}",
        "Call it with the simulator, in a second terminal:",
        "  lampio call --from +358912345678 --lang fi",
        "  (or: .venv/bin/lampio call --from +358912345678 --lang fi)",
        f"Demo                 {demo}",
        f"Twilio signature checking: {signature}",
    ]
    lines += extra_lines
    return "\n".join(lines)
