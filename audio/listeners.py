"""The background worker hears of committed programme and description changes
(``catalogue.signals``) and runs soon: new items are rendered, new recordings transcribed.
Only this app's database counts (the signals' sender is the engine that committed)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from catalogue.db import get_engine
from catalogue.signals import description_changed, programme_changed

if TYPE_CHECKING:
    from flask import Flask

    from .service import AudioService


def connect(app: Flask, svc: AudioService) -> None:
    def poke(sender: object, **payload: object) -> None:
        svc.poke()

    # blinker holds receivers weakly: the app keeps this one alive, and it goes with the app.
    app.extensions["lampio_audio_listener"] = poke
    for signal in (programme_changed, description_changed):
        signal.connect(poke, sender=get_engine(app))
