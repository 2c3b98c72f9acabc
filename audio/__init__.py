"""Text-to-speech, the prompt cache, audio storage and conversion, recordings and transcripts.

``init_app`` puts an ``AudioService`` at ``app.extensions["lampio_audio"]`` (what the TwiML
renderer asks for ``<Play>`` URLs), serves ``/audio/…``, adds ``lampio audio …``, starts the
background worker with the first request and connects it to the catalogue's signals. ``voice/``
hands the service to the flows (approved descriptions for "hear more", the recording line's
downloads) through their context, and hands it the flows' sentences to render.
"""
from __future__ import annotations

import logging
import threading
from typing import cast

from flask import Flask, current_app

from .description import description_for
from .listeners import connect as connect_listeners
from .service import AudioService

__all__ = ["AudioService", "description_for", "init_app", "service"]

log = logging.getLogger("lampio.audio")


def service(app: Flask | None = None) -> AudioService:
    return cast(AudioService, (app or current_app).extensions["lampio_audio"])


def build_service(app: Flask) -> AudioService:
    from .cache import PromptCache
    from .recordings import DEFAULT_HOSTS, TwilioRecordings
    from .storage import LocalStorage
    from .transcribe import parse_models
    from .tts import EngineChain, engines_from_config

    cfg = app.config
    storage = LocalStorage(cfg["AUDIO_DIR"])
    chain = EngineChain(engines_from_config(cfg.get("TTS_ENGINES") or "espeak",
                                            gtts_slow=bool(cfg.get("GTTS_SLOW", False))),
                        cooldown=float(cfg.get("TTS_COOLDOWN", 300)))
    extra_hosts = {h.strip() for h in str(cfg.get("TWILIO_MEDIA_HOSTS", "")).split(",") if h.strip()}
    recordings = TwilioRecordings(storage, cfg.get("TWILIO_ACCOUNT_SID", ""),
                                  cfg.get("TWILIO_AUTH_TOKEN", ""),
                                  allowed_hosts=frozenset(DEFAULT_HOSTS | extra_hosts),
                                  http_client=cfg.get("TWILIO_HTTP_CLIENT"))
    return AudioService(storage=storage, chain=chain, cache=PromptCache(storage, chain),
                        recordings=recordings, vosk_models=parse_models(cfg.get("VOSK_MODELS", "")))


def _start_worker_on_first_request(app: Flask, svc: AudioService) -> None:
    """The worker starts with the first request, not in ``create_app``: CLI commands (which
    also create the app) must not render in the background while they run."""
    from .jobs import Worker

    lock = threading.Lock()

    def start() -> None:
        if app.config.get("LAMPIO_NO_BACKGROUND"):
            return  # a command's in-process calls (the voice assistant) start no jobs
        if svc.worker is None:
            with lock:
                if svc.worker is None:
                    svc.worker = Worker(app, interval=float(app.config.get("AUDIO_JOBS_INTERVAL", 30)))
                    svc.worker.start()

    app.before_request(start)
    app.extensions.setdefault("lampio_starters", []).append(start)  # the webhooks' app too


def init_app(app: Flask) -> None:
    from .blueprint import bp
    from .cli import audio_group

    svc = build_service(app)
    app.extensions["lampio_audio"] = svc
    connect_listeners(app, svc)  # the worker runs soon after a committed change
    app.register_blueprint(bp)
    app.cli.add_command(audio_group)

    if app.config.get("SCHEDULER", True) and not app.config.get("TESTING"):
        _start_worker_on_first_request(app, svc)
