"""Every setting is read and checked when the app starts: a bad value stops it with one line."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from datetime import datetime

import pytest
from flask import Flask

from app import SettingError, create_app
from ivr_flows.office_hours import OfficeHours
from ivr_flows.person import hours_text
from tests.phone import Phone

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("name", "value"), [
    ("PORT", "abc"), ("SCHEDULER", "maybe"), ("VISITS_FLUSH_SECONDS", "-1"),
    ("PROGRAMME_RECHECK_SECONDS", "soon"), ("OFFICE_HOURS", "mon-fri 15:00-09:00"),
])
def test_a_bad_setting_stops_the_app_naming_it(name: str, value: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingError, match=f"^{name}: "):
        create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})


def test_python_app_py_says_it_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "PORT": "eighty", "AUDIO_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0
    assert done.stderr.strip() == "lampio: bad setting: PORT: expected a whole number, not 'eighty'"


def test_good_settings_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEDULER", "off")
    monkeypatch.setenv("PROGRAMME_RECHECK_SECONDS", "0.5")
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})
    assert app.config["SCHEDULER"] is False and app.config["PROGRAMME_RECHECK_SECONDS"] == 0.5
    assert app.extensions["lampio_programme"].recheck == 0.5


@pytest.mark.parametrize(("name", "value"), [
    ("STAFF_PHONE_NUMBER", "12ab"), ("STAFF_PHONE_NUMBER", "+358"),
    ("TWILIO_PROVIDER_NUMBER", "call me"), ("TTS_ENGINES", "espeak,festival"),
    ("VOSK_MODELS", "ko"), ("VOSK_MODELS", "ko=/no/such/model"), ("VOSK_MODELS", "xx=/tmp"),
    ("OFFICE_HOURS", "mon 25:00-26:00"),
    ("OFFICE_HOURS", "mon-fri 09:00-24:30"), ("OFFICE_HOURS", "mon 24:00-24:00"),
])
def test_settings_read_per_call_are_checked_at_start(name: str, value: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11, finding 8: these failed on a call (or with a traceback), not at start."""
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingError, match=f"^{name}: ") as raised:
        create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})
    assert "\n" not in str(raised.value)


def test_phone_number_settings_are_kept_as_e164(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAFF_PHONE_NUMBER", "09 4200 0000")
    monkeypatch.setenv("TWILIO_PROVIDER_NUMBER", "+358 9 4200 0099")
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})
    assert app.config["STAFF_PHONE_NUMBER"] == "+358942000000"
    assert app.config["TWILIO_PROVIDER_NUMBER"] == "+358942000099"


def test_office_hours_all_day_parse_and_work(monkeypatch: pytest.MonkeyPatch, app: Flask,
                                             phone: Phone) -> None:
    """``24:00`` is the end of the day: "mon-sun 00:00-24:00" is open at any hour, and the
    closed line's sentence for it can be said in every language."""
    monkeypatch.setenv("OFFICE_HOURS", "mon-sun 00:00-24:00")
    create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})  # starts
    hours = OfficeHours.parse("mon-sun 00:00-24:00")
    for at in (datetime(2026, 12, 6, 21, 59, 59), datetime(2026, 12, 7, 22, 0), datetime(2026, 12, 1)):
        assert hours.is_open(at)
    assert "kahteenkymmeneenneljään" in hours_text("fi", hours) and "midnight" in hours_text("en", hours)
    app.config["OFFICE_HOURS"] = "mon-sun 00:00-24:00"
    phone.call()
    phone.press("1")
    t = phone.press("0")
    assert t.dial is not None and (t.dial.text or "").strip() == app.config["STAFF_PHONE_NUMBER"]
