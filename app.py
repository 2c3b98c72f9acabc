"""Lämpiö Phone: ``create_app()`` and ``python app.py`` (the whole service on the embedded default).

Settings come from environment variables with safe defaults (see the README's table).
"""
from __future__ import annotations

import gc
import logging
import os
import secrets
import sys
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
    "PROGRAMME_RECHECK_SECONDS": 1.0,  # how stale another process's programme change may be
    "VISITS_FLUSH_SECONDS": 2.0,  # menu visits are written in batches at most this often
    "TURN_MEMO_SIZE": 2000,  # reading turns' answers kept for other callers (0: none)
    "TURN_MEMO_SECONDS": 10,  # and for at most this long
    "RECORDING_PART_SECONDS": 180,  # a recording is played by phone in parts of about this long
    "RECORDING_LISTEN_DAYS": 14,  # a live room's recording can be heard this long after the end
    "ROOM_JOIN_MINUTES": 15,  # a live room opens this many minutes before the start
    "ROOM_HOST_ENDS": True,  # the room ends when its host leaves
    "ROOM_HOST_CALLER_ID": "",  # our Twilio number the live console calls a staff host from
    "PROXY_FIX_HOPS": 0,  # proxies in front whose X-Forwarded-For/-Proto/-Host are believed
    "MAX_UPLOAD_MB": 25,  # request body limit (the session-audio upload has its own, larger)
    "RATELIMIT_STORAGE_URI": "",  # login throttling counters: "" = the database; redis://…
    "DB_CONNECT_TIMEOUT": 3,  # seconds to connect to PostgreSQL (and to wait for a pooled one)
    "DB_STATEMENT_TIMEOUT": 5,  # seconds a webhook's statement or SQLite lock wait may take
    "DB_JOB_TIMEOUT": 120,  # the same for the lampio commands
    "PURGE_DAYS": 30,  # personal data is purged this many days after its use
    "CALL_STALE_HOURS": 4,  # a call still open after this long never got its status callback
}
# Whole-number settings checked at start-up: name -> (lowest, highest).
_RANGES: dict[str, tuple[int, int]] = {
    "RECORDING_PART_SECONDS": (30, 1800),
    "RECORDING_LISTEN_DAYS": (1, 365),
    "ROOM_JOIN_MINUTES": (0, 120),
    "PROXY_FIX_HOPS": (0, 5),
    "MAX_UPLOAD_MB": (21, 1024),  # above audio.upload's 20 MB, or a good upload gets a 413
    "DB_CONNECT_TIMEOUT": (1, 60),
    "DB_STATEMENT_TIMEOUT": (1, 14),  # a turn must answer within Twilio's 15 s
    "DB_JOB_TIMEOUT": (1, 3600),
    "PURGE_DAYS": (1, 3650),
    "CALL_STALE_HOURS": (1, 168),
    "TURN_MEMO_SIZE": (0, 100_000),
    "TURN_MEMO_SECONDS": (1, 60),
}
_BOOL = {"TWILIO_SKIP_SIGNATURE", "SCHEDULER", "DEMO_DATA", "GTTS_SLOW", "ROOM_HOST_ENDS"}
_INT = {"PORT", "TTS_COOLDOWN", "AUDIO_JOBS_INTERVAL"}
_SECONDS = {"PROGRAMME_RECHECK_SECONDS", "VISITS_FLUSH_SECONDS"}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


class SettingError(SystemExit):
    """A setting that cannot be used: the app stops at start with this one line."""


def _from_env(name: str, default: Any) -> Any:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if name in _BOOL:
        if word not in _TRUE | _FALSE:
            raise SettingError(f"{name}: say on or off (1/0, true/false), not {raw!r}")
        return word in _TRUE
    try:
        if name in _INT:
            return int(word)
        if name in _SECONDS:
            value = float(word)
            if not 0 <= value < 86400:
                raise ValueError
            return value
    except ValueError:
        kind = "a whole number" if name in _INT else "seconds (0 or more)"
        raise SettingError(f"{name}: expected {kind}, not {raw!r}") from None
    return raw


def _check(app: Flask) -> None:
    """Settings read by parts of the app that would otherwise fail only on a call."""
    from ivr_flows.office_hours import OfficeHours

    from ivr_flows.person import hours_text
    from ivr_flows.prompts import LANGUAGES

    try:
        hours = OfficeHours.parse(app.config["OFFICE_HOURS"])
        for lang in LANGUAGES:  # what the closed line says, so it cannot fail on a call
            hours_text(lang, hours)
    except ValueError as exc:
        message = str(exc)
        raise SettingError(message if message.startswith("OFFICE_HOURS")
                           else f"OFFICE_HOURS: {message}") from None
    for name, (low, high) in _RANGES.items():
        raw = app.config.get(name)
        try:
            value = int(str(raw).strip())
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise SettingError(f"{name}: expected a whole number from {low} to {high}, "
                               f"not {raw!r}")
        app.config[name] = value
    from admin.throttle import check_storage_uri
    from catalogue.callers import setting_number

    try:  # the phone numbers as E.164: a bad one would fail each call that dials it
        check_storage_uri(str(app.config["RATELIMIT_STORAGE_URI"] or ""))
        for name in _PHONE_NUMBERS:
            app.config[name] = setting_number(name, app.config.get(name))
    except ValueError as exc:
        raise SettingError(str(exc)) from None
    _check_audio(app)
    caller_id = str(app.config["ROOM_HOST_CALLER_ID"] or "")
    if caller_id and not (caller_id.startswith("+") and caller_id[1:].isdigit()
                          and 8 <= len(caller_id) <= 16):
        raise SettingError(f"ROOM_HOST_CALLER_ID: expected an E.164 number such as "
                           f"+358942000000, or nothing, not {caller_id!r}")


_PHONE_NUMBERS = ("STAFF_PHONE_NUMBER", "TWILIO_PROVIDER_NUMBER")  # the 0 key dials them


def _check_audio(app: Flask) -> None:
    """The speech engines and transcript models are read once at start: named here, so a typo
    is one line, not a traceback from the audio package."""
    from audio.transcribe import parse_models
    from audio.tts import ENGINE_FACTORIES

    engines = [n.strip().lower() for n in str(app.config["TTS_ENGINES"] or "").split(",")]
    unknown = [n for n in engines if n and n not in ENGINE_FACTORIES]
    if unknown:
        raise SettingError(f"TTS_ENGINES: unknown engine {unknown[0]!r} "
                           f"(known: {', '.join(sorted(ENGINE_FACTORIES))})")
    from voice.recognition import check_models

    try:
        check_models(parse_models(str(app.config["VOSK_MODELS"] or "")))
    except ValueError as exc:
        raise SettingError(f"VOSK_MODELS: {exc}") from None


def _instance_secret(app: Flask, name: str) -> str:
    """A random secret made once and kept in instance/, so restarts keep sessions and the
    simulator's signing key without anyone having to configure them."""
    path = Path(app.instance_path) / name
    if not path.exists():
        path.write_text(secrets.token_hex(24))
        path.chmod(0o600)
    return path.read_text().strip()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    from catalogue import logmask

    logmask.install()  # every process passes here: no phone number in any log line
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    for name, default in DEFAULTS.items():
        app.config[name] = _from_env(name, default)
    app.config["DATABASE_URL"] = os.environ.get(
        "DATABASE_URL", f"sqlite:///{Path(app.instance_path) / 'lampio.sqlite3'}")
    app.config["AUDIO_DIR"] = os.environ.get("AUDIO_DIR", str(Path(app.instance_path) / "audio"))
    if test_config:
        app.config.update(test_config)
    _check(app)
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
    from voice import webhooks

    webhooks.install(app)  # POST /voice/… is served by a lean app without the admin's hooks
    hops = app.config["PROXY_FIX_HOPS"]
    if hops:  # behind that many proxies: the client's address, scheme and host are theirs to say
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Flask's documented way to add WSGI middleware; mypy sees wsgi_app only as a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops,  # type: ignore[method-assign]
                                x_host=hops, x_port=hops)
    return app


def _check_settings(app: Flask) -> None:
    """Settings checked at start-up: a bad value stops the app with one line naming it."""
    from voice import outbound_settings, speech_settings

    from admin import mail

    for module in (outbound_settings, speech_settings, mail):
        for name, default in module.DEFAULTS.items():
            if name not in app.config:
                app.config[name] = _from_env(name, default)
        try:
            module.check(app.config)
        except ValueError as exc:
            raise SettingError(str(exc)) from None


def _app_for_cli() -> Flask:
    try:
        return create_app({"LAMPIO_CLI": True})  # jobs may wait longer for the database
    except SettingError as exc:
        raise SystemExit(f"lampio: bad setting: {exc}") from None


@click.group(cls=FlaskGroup, create_app=_app_for_cli)
def cli() -> None:
    """Lämpiö Phone management commands."""


@cli.command("serve")
@click.option("--bind", default=None, help="host:port (default 127.0.0.1:$PORT)")
@click.option("--workers", type=int, default=None, help="processes (default: 2 per core)")
@click.option("--threads", type=int, default=8, show_default=True, help="threads per process")
def serve(bind: str | None, workers: int | None, threads: int) -> None:
    """The production server: gunicorn, gthread workers (a turn is short and mostly Python, so
    a few processes with a few threads each use every core and keep slow clients cheap)."""
    port = _from_env("PORT", DEFAULTS["PORT"])
    args = [sys.executable, "-m", "gunicorn", "--worker-class", "gthread",
            "--workers", str(workers or 2 * (os.cpu_count() or 1)), "--threads", str(threads),
            "--bind", bind or f"127.0.0.1:{port}", "--forwarded-allow-ips", "*",
            "--access-logfile", "-", "app:serve_app()"]
    os.execv(sys.executable, args)


def serve_app() -> Flask:  # each ``lampio serve`` worker's
    return settle(create_app())


def settle(app: Flask) -> Flask:
    """A serving process's app, built: start-up's objects live as long as the process, so the
    collector stops walking them in every full collection, all threads paused (``gc.freeze``;
    README, Benchmarks). A frozen object's cycles are never freed: for servers only."""
    gc.freeze()
    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        app = create_app({"DEMO_DATA": _from_env("DEMO_DATA", True)})
    except SettingError as exc:
        raise SystemExit(f"lampio: bad setting: {exc}") from None
    from admin.users import banner_lines
    from catalogue.setup import prepare_database, startup_banner

    prepare_database(app)
    if app.config["DEMO_DATA"]:
        from audio.demo_audio import ensure_demo_audio

        ensure_demo_audio(app)  # the demo recording's audio, read aloud offline
    print(startup_banner(app, banner_lines(app)), flush=True)
    settle(app)
    app.run(host="127.0.0.1", port=app.config["PORT"], threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
