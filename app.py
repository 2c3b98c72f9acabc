"""Lämpiö Phone: ``create_app()`` and ``python app.py`` (the whole service on the embedded default).

Settings come from environment variables with safe defaults (see the README's table).
"""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup

log = logging.getLogger("lampio")

DEFAULTS: dict[str, Any] = {
    "PORT": 5000,
    "PUBLIC_BASE_URL": "",  # what Twilio calls, e.g. https://phone.example.fi; default: this host
    "TWILIO_ACCOUNT_SID": "",
    "TWILIO_AUTH_TOKEN": "",  # default: a random token kept in instance/ for the simulator
    "TWILIO_SKIP_SIGNATURE": False,  # development only; logged loudly on every request
    "TWILIO_PROVIDER_NUMBER": "",  # the provider recording line's own number
    "STAFF_PHONE_NUMBER": "",
    "OFFICE_HOURS": "mon-fri 09:00-15:00",
    "SECRET_KEY": "",
    "TTS_ENGINES": "gtts,espeak",
    "TTS_COOLDOWN": 300,  # seconds an engine that failed is left alone before it is tried again
    "GTTS_SLOW": False,  # gTTS's own (very) slow mode instead of a gentle ffmpeg slow-down
    "AUDIO_JOBS_INTERVAL": 30,  # seconds between background audio passes
    "TWILIO_MEDIA_HOSTS": "",  # extra hosts recordings may be downloaded from (*.twilio.com always)
    "VOSK_MODELS": "",  # "ko=/path/to/model,en=/path/to/other"
    "SCHEDULER": True,
    "DEMO_DATA": False,
}
_BOOL = {"TWILIO_SKIP_SIGNATURE", "SCHEDULER", "DEMO_DATA", "GTTS_SLOW"}
_INT = {"PORT", "TTS_COOLDOWN", "AUDIO_JOBS_INTERVAL"}


def _from_env(name: str, default: Any) -> Any:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if name in _BOOL:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if name in _INT:
        return int(raw)
    return raw


def _instance_secret(app: Flask, name: str) -> str:
    """A random secret made once and kept in instance/, so restarts keep sessions and the
    simulator's signing key without anyone having to configure them."""
    path = Path(app.instance_path) / name
    if not path.exists():
        path.write_text(secrets.token_hex(24))
        path.chmod(0o600)
    return path.read_text().strip()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    for name, default in DEFAULTS.items():
        app.config[name] = _from_env(name, default)
    app.config["DATABASE_URL"] = os.environ.get(
        "DATABASE_URL", f"sqlite:///{Path(app.instance_path) / 'lampio.sqlite3'}")
    app.config["AUDIO_DIR"] = os.environ.get("AUDIO_DIR", str(Path(app.instance_path) / "audio"))
    if test_config:
        app.config.update(test_config)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(app, "secret_key")
    if not app.config["TWILIO_AUTH_TOKEN"]:
        app.config["TWILIO_AUTH_TOKEN"] = _instance_secret(app, "dev_twilio_auth_token")
    _check_settings(app)

    import admin
    import audio
    import catalogue
    import voice
    from voice.blueprint import bp as voice_bp

    catalogue.init_app(app)
    audio.init_app(app)
    voice.init_app(app)
    admin.init_app(app, csrf_exempt=[voice_bp])  # the webhooks are checked by Twilio's signature
    return app


def _check_settings(app: Flask) -> None:
    """Settings checked at start-up: a bad value stops the app with one line naming it."""
    from voice import outbound_settings

    for name, default in outbound_settings.DEFAULTS.items():
        if name not in app.config:
            app.config[name] = _from_env(name, default)
    try:
        outbound_settings.check(app.config)
    except ValueError as exc:
        raise SystemExit(f"lampio: bad setting {exc}") from None


@click.group(cls=FlaskGroup, create_app=create_app)
def cli() -> None:
    """Lämpiö Phone management commands."""


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app({"DEMO_DATA": _from_env("DEMO_DATA", True)})
    from admin.users import banner_lines
    from catalogue.setup import prepare_database, startup_banner

    prepare_database(app)
    print(startup_banner(app, banner_lines(app)), flush=True)
    app.run(host="127.0.0.1", port=app.config["PORT"], threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
