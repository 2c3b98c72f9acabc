"""``lampio providers``: a provider gets a recording-line PIN, and a reset lifts a lock."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession
from werkzeug.security import check_password_hash

from catalogue.models import Provider
from catalogue.timeutil import utcnow
from tests import factories as f


def test_set_pin_hashes_it_and_lifts_a_lock(app: Flask, db: DbSession) -> None:
    p = f.provider(db, "Oulun kaupunginkirjasto")
    p.pin_failures, p.pin_locked_until = 5, utcnow() + timedelta(minutes=10)
    db.commit()
    runner = app.test_cli_runner()
    out = runner.invoke(args=["providers", "list"])
    assert f"{p.id}  Oulun kaupunginkirjasto  (no PIN yet)" in out.output
    out = runner.invoke(args=["providers", "set-pin", str(p.id), "--pin", "12ab"])
    assert out.exit_code != 0 and "4 to 8 digits" in out.output
    out = runner.invoke(args=["providers", "set-pin", str(p.id), "--pin", "97531"])
    assert out.exit_code == 0, out.output
    db.expire_all()
    stored = db.get_one(Provider, p.id)
    assert stored.pin_hash and "97531" not in stored.pin_hash
    assert check_password_hash(stored.pin_hash, "97531")
    assert stored.pin_failures == 0 and stored.pin_locked_until is None
    assert runner.invoke(args=["providers", "set-pin", "9999", "--pin", "1234"]).exit_code != 0


def test_set_phone_registers_the_providers_own_number(app: Flask, db: DbSession) -> None:
    """The number whose PIN tries are the provider's own count (issue 11, finding 1)."""
    p = f.provider(db, "Oulun kaupunginkirjasto")
    p.own_pin_failures, p.own_pin_locked_until = 5, utcnow() + timedelta(minutes=10)
    db.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["providers", "set-phone", str(p.id), "call me"]).exit_code != 0
    out = runner.invoke(args=["providers", "set-phone", str(p.id), "040 111 2233"])
    assert out.exit_code == 0, out.output
    db.expire_all()
    stored = db.get_one(Provider, p.id)
    assert stored.phone == "+358401112233"
    assert stored.own_pin_failures == 0 and stored.own_pin_locked_until is None
    db.rollback()  # no snapshot held while the command writes
    out = runner.invoke(args=["providers", "set-phone", str(p.id)])
    assert out.exit_code == 0 and "removed" in out.output, out.output
    db.rollback()
    assert db.scalar(select(Provider.phone).where(Provider.id == p.id)) is None


def test_set_names_gives_the_swedish_and_english_names(app: Flask, db: DbSession) -> None:
    p = f.provider(db, "Turun filharmoninen orkesteri")
    db.commit()
    runner = app.test_cli_runner()
    out = runner.invoke(args=["providers", "set-names", str(p.id), "--sv",
                              "Åbo filharmoniska orkester", "--en", "Turku Philharmonic Orchestra"])
    assert out.exit_code == 0, out.output
    db.expire_all()
    stored = db.get_one(Provider, p.id)
    assert (stored.own_name("sv"), stored.own_name("en")) == (
        "Åbo filharmoniska orkester", "Turku Philharmonic Orchestra")
    listed = runner.invoke(args=["providers", "list"]).output
    assert "Åbo filharmoniska orkester / Turku Philharmonic Orchestra" in listed
    assert runner.invoke(args=["providers", "set-names", "9999", "--sv", "x"]).exit_code != 0
