"""The server's process: ``lampio serve`` runs gunicorn on ``serve_app``, whose start-up objects
the garbage collector no longer walks (``app.settle``); the app still answers as before."""
from __future__ import annotations

import gc
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from twilio.request_validator import RequestValidator

import app as app_module

TOKEN = "serving-token"


@pytest.fixture
def unfreeze() -> Iterator[None]:
    """The test process is not a server: whatever a test froze is handed back to the collector."""
    yield
    gc.unfreeze()


def test_lampio_serve_runs_gunicorn_on_the_settled_app(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda path, args: ran.append(list(args)))
    result = CliRunner().invoke(app_module.cli, ["serve", "--workers", "3", "--threads", "4",
                                                 "--bind", "127.0.0.1:8123"])
    assert result.exit_code == 0, result.output
    args = ran[0]
    assert args[1:3] == ["-m", "gunicorn"]
    assert args[args.index("--worker-class") + 1] == "gthread"
    assert args[args.index("--workers") + 1] == "3"
    assert args[args.index("--threads") + 1] == "4"
    assert args[-1] == "app:serve_app()"
    # gunicorn's own way of reading that target finds the function named there
    assert callable(getattr(app_module, args[-1].split(":")[1].removesuffix("()")))


def test_the_settled_app_is_frozen_and_still_answers(tmp_path: Path, unfreeze: None,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'serving.sqlite3'}")
    monkeypatch.setenv("AUDIO_DIR", str(tmp_path / "audio"))
    monkeypatch.setenv("SCHEDULER", "0")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://phone.example.fi")
    from catalogue.setup import prepare_database

    prepare_database(app_module.create_app())
    gc.unfreeze()
    before = gc.get_freeze_count()
    served = app_module.serve_app()
    assert gc.get_freeze_count() > before
    assert not any(obj is served for obj in gc.get_objects())  # not walked by any collection
    gc.collect()  # a full collection with the app frozen loses nothing of it
    form = {"CallSid": "CA" + "5" * 32, "From": "+358912345678", "To": "+358942000000",
            "CallStatus": "in-progress", "Direction": "inbound", "AccountSid": "AC" + "0" * 32}
    base = "https://phone.example.fi"
    signature = RequestValidator(TOKEN).compute_signature(base + "/voice/incoming", form)
    resp = served.test_client().post("/voice/incoming", data=form, base_url=base,
                                     headers={"X-Twilio-Signature": signature})
    assert resp.status_code == 200
    root = ET.fromstring(resp.get_data(as_text=True))
    assert root.tag == "Response"
    assert root.find("Gather") is not None  # the greeting waits for a key, as on any start
