"""Every setting is read and checked when the app starts: a bad value stops it with one line."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import SettingError, create_app

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
