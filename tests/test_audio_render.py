"""``lampio audio render``, re-rendering in the background, and approved descriptions."""
from __future__ import annotations

import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session as DbSession

from audio import description_for, jobs, render
from audio import service as service_of
from audio.cache import audio_name
from catalogue.models import AudioDescription, Event
from catalogue.programme import items_between
from catalogue.timeutil import utcnow
from ivr_flows import programme, prompts
from ivr_flows.reply import Segment
from tests import factories as f
from tests.test_audio_support import tone

Status = AudioDescription.Status


def audio_path(seg: Segment | None) -> str | None:
    assert seg is not None
    return seg.audio_path


class CountingEngine:
    """espeak-ng-free and fast: writes a short real tone, counts what it was asked."""

    name, rate, raw_ext = "tone", "1", "wav"
    filters: str | None = None

    def __init__(self, tmp: Path) -> None:
        self.src = tone(tmp / "tone.wav", 0.3)
        self.asked: list[tuple[str, str]] = []

    def voice(self, lang: str) -> str:
        return lang

    def supports(self, lang: str) -> bool:
        return True

    def synthesize(self, text: str, lang: str, out: Path) -> None:
        self.asked.append((text, lang))
        out.write_bytes(self.src.read_bytes())


@pytest.fixture
def counting(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CountingEngine:
    """Hundreds of sentences: skip ffmpeg here (conversion is tested in test_audio_tts)."""
    engine = CountingEngine(tmp_path)
    service_of(app).chain.engines = [engine]
    monkeypatch.setattr("audio.storage.to_served",
                        lambda src, dest, filters=None: shutil.copyfile(src, dest))
    return engine


def test_render_cli_renders_prompts_and_coming_items_once(app: Flask, db: DbSession,
                                                          counting: CountingEngine) -> None:
    ev = f.event(db, title="Runotuokio", code="777", description_fi="Luemme runoja. Tule mukaan.")
    f.session(db, ev, starts_in=timedelta(days=3))
    f.session(db, f.event(db, title="Liian myöhään", code="778"), starts_in=timedelta(days=20))
    db.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audio", "render", "--no-progress"])
    assert result.exit_code == 0, result.output
    asked = set(counting.asked)
    for lang in prompts.LANGUAGES:
        assert all((t, lang) in asked for t in prompts.all_fixed_prompts(lang))
    assert ("Runotuokio.", "fi") in asked and ("Luemme runoja.", "fi") in asked
    assert not any("Liian myöhään" in t for t, _ in asked)  # beyond two weeks
    first = len(counting.asked)
    assert f"{first} rendered" in result.output

    result = runner.invoke(args=["audio", "render", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert len(counting.asked) == first  # warm: nothing rendered
    assert "0 rendered" in result.output and f"{first} already cached" in result.output

    # What a caller hears for the item now plays from the cache.
    svc = service_of(app)
    db.rollback()
    now = utcnow()
    item = items_between(db, now, now + timedelta(days=14), all_cities=True)[0]
    for seg in programme.item_segments(item, "sv", now):
        assert svc.prompt_url(seg) is not None, seg.text


def test_render_with_progress_bar(app: Flask, counting: CountingEngine) -> None:
    result = app.test_cli_runner().invoke(args=["audio", "render"])
    assert result.exit_code == 0, result.output
    assert "Rendering prompts" in result.output and "100%" in result.output


def test_the_sentence_source_is_the_flows_and_can_be_replaced(app: Flask, db: DbSession,
                                                              counting: CountingEngine) -> None:
    svc = service_of(app)
    assert svc.sentences is not None  # connected by voice.init_app to the flows' own
    svc.sentences = lambda db, now, ids: [("Stub fi.", "fi"), ("Stub en.", "en")]
    result = app.test_cli_runner().invoke(args=["audio", "render", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert set(counting.asked) == {("Stub fi.", "fi"), ("Stub en.", "en")}


def test_edited_event_is_rerendered_by_the_background_job(app: Flask, db: DbSession,
                                                          counting: CountingEngine) -> None:
    ev = f.event(db, title="Tanssit", code="780")
    f.session(db, ev, starts_in=timedelta(days=2))
    db.commit()
    jobs.run_once(app, tasks=("render",))
    counting.asked.clear()
    ev.title_fi = "Tanssit kirjastossa"
    db.commit()
    done = jobs.run_once(app, tasks=("render",))
    assert done["rendered"] == 1
    assert counting.asked == [("Tanssit kirjastossa.", "fi")]


def test_worker_thread_runs_and_stops(app: Flask, counting: CountingEngine) -> None:
    worker = jobs.Worker(app, interval=60)
    worker.start()
    try:
        for _ in range(200):
            if counting.asked:
                break
            time.sleep(0.05)
        assert counting.asked
    finally:
        worker.stop()
    assert worker._thread is not None and not worker._thread.is_alive()


def test_only_an_approved_description_plays(app: Flask, db: DbSession) -> None:
    ev = f.event(db, title="Museokierros", code="781")
    other = f.event(db, title="Muu", code="782")

    def add(status: Status, lang: str = "fi", event: Event = ev) -> AudioDescription:
        d = AudioDescription(event_id=event.id, provider_id=event.provider_id, lang=lang,
                             storage_path=f"recordings/{status.value[:1] * 32}.mp3",
                             duration_seconds=20, status=status,
                             source=AudioDescription.Source.UPLOAD)
        db.add(d)
        db.flush()
        return d

    add(Status.PENDING)
    add(Status.AWAITING_REVIEW)
    add(Status.REJECTED)
    add(Status.APPROVED, lang="sv")
    add(Status.APPROVED, event=other)
    db.commit()
    assert description_for(db, ev, "fi") is None
    good = add(Status.APPROVED)
    good.reviewed_at = utcnow()
    good.transcript = "Tervetuloa museoon."
    db.commit()
    seg = description_for(db, ev, "fi")
    assert seg == Segment("Tervetuloa museoon.", "fi", 0.0, good.storage_path)
    assert description_for(db, ev, "en") is None
    # The flows' "hear more" asks the audio service that voice hands to every call.
    from voice.calls import services

    with app.app_context():
        describe = services().describe
        assert describe is not None and describe(db, ev.id, "fi") == seg


def test_orphan_takes_are_removed(app: Flask, db: DbSession, tmp_path: Path) -> None:
    svc = service_of(app)
    ev = f.event(db, title="Kuoro", code="783")
    name = "recordings/" + "c" * 32 + ".mp3"
    svc.storage.put_file(tone(tmp_path / "t.mp3", 1, codec=["-c:a", "libmp3lame"]), name)
    db.add(AudioDescription(event_id=ev.id, provider_id=ev.provider_id, lang="fi",
                            storage_path=name, status=Status.PENDING,
                            source=AudioDescription.Source.PHONE,
                            created_at=utcnow() - timedelta(hours=7)))
    db.commit()
    assert jobs.run_once(app, tasks=("orphans",)) == {"orphans": 1}
    assert not svc.storage.exists(name)


def test_sidecar_written_for_each_rendering(app: Flask, counting: CountingEngine) -> None:
    svc = service_of(app)
    r = svc.cache.render("Hei.", "fi")
    assert r is not None
    assert svc.storage.exists(audio_name(r.key)) and svc.storage.exists(audio_name(r.key, "json"))


def test_upload_then_review_then_hear_more(app: Flask, db: DbSession, tmp_path: Path) -> None:
    from audio.description import add_upload, review
    from audio.upload import UploadError
    from tests.test_audio_support import espeak_wav

    svc = service_of(app)
    ev = f.event(db, title="Konsertti", code="784")
    wav = espeak_wav(tmp_path / "d.wav", "Tervetuloa konserttiin.", "fi")
    first = add_upload(db, svc.storage, ev, "fi", wav)
    assert (first.status, first.source) == (Status.AWAITING_REVIEW, AudioDescription.Source.UPLOAD)
    assert description_for(db, ev, "fi") is None  # not before review
    review(db, first, approve=True)
    assert audio_path(description_for(db, ev, "fi")) == first.storage_path
    second = add_upload(db, svc.storage, ev, "fi", wav.read_bytes())
    review(db, second, approve=True)
    db.commit()
    db.refresh(first)
    assert first.status == Status.REJECTED and second.status == Status.APPROVED
    assert audio_path(description_for(db, ev, "fi")) == second.storage_path
    review(db, second, approve=False, reason="Huono äänenlaatu")
    assert description_for(db, ev, "fi") is None
    with pytest.raises(UploadError):
        add_upload(db, svc.storage, ev, "fi", b"not audio at all" * 100)


def test_worker_starts_with_the_first_request_not_with_the_app(app: Flask, client: FlaskClient,
                                                               counting: CountingEngine) -> None:
    import audio

    svc = service_of(app)

    def running() -> jobs.Worker | None:
        return svc.worker  # read each time: a request starts it

    app.config["AUDIO_JOBS_INTERVAL"] = 3600
    audio._start_worker_on_first_request(app, svc)
    assert running() is None
    client.get("/audio/" + "0" * 64 + ".mp3")
    worker = running()
    try:
        assert worker is not None and worker._thread is not None and worker._thread.is_alive()
        client.get("/audio/" + "0" * 64 + ".mp3")
        assert running() is worker
    finally:
        if worker is not None:
            worker.stop(timeout=60)
