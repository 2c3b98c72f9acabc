"""``lampio providers``: a provider gets a recording-line PIN, and a reset lifts a lock."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
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
