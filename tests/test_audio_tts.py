"""Text-to-speech engines, the fallback chain and the content-addressed cache."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import requests

from audio import storage as st
from audio.cache import PromptCache, audio_name, cache_key
from audio.recordings import TwilioRecordings
from audio.service import AudioService
from audio.tts import EngineChain, EspeakEngine, GTTSEngine, TTSError, engines_from_config
from ivr_flows.reply import Segment
from tests.test_audio_support import gtts_body, tone

SENTENCES = {
    "fi": "Tervetuloa Lämpiö-puhelimeen. Tämän viikon ohjelmassa on kolme tapahtumaa.",
    "sv": "Välkommen till Lämpiö-telefonen. Veckans program har tre evenemang.",
    "en": "Welcome to the Lämpiö phone. This week's programme has three events.",
}


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_espeak_renders_real_audio(tmp_path: Path, lang: str) -> None:
    engine = EspeakEngine()
    raw = tmp_path / "raw.wav"
    engine.synthesize(SENTENCES[lang], lang, raw)
    info = st.probe(raw)
    assert info.codec.startswith("pcm")
    # About ten words at 150 words a minute: four seconds, give or take.
    assert 2.5 < info.duration < 9, info.duration
    served = tmp_path / "out.mp3"
    st.to_served(raw, served)
    out = st.probe(served)
    assert (out.format_name, out.codec, out.channels, out.sample_rate) == ("mp3", "mp3", 1, 22050)
    assert abs(out.duration - info.duration) < 0.3
    assert not st.is_near_silent(served)


def engine_used(cache: PromptCache, text: str) -> str:
    """Which engine rendered the sentence (the test fails when none could)."""
    rendered = cache.render(text, "fi")
    assert rendered is not None
    return rendered.engine


def service_without_twilio(cache: PromptCache) -> AudioService:
    """The audio service over this cache; its recordings client is never called here."""
    return AudioService(storage=cache.storage, chain=cache.chain, cache=cache,
                        recordings=TwilioRecordings(cache.storage, "AC-unused", "unused"))


def test_espeak_rate_is_slower_than_default(tmp_path: Path) -> None:
    slow, fast = EspeakEngine(wpm=150), EspeakEngine(wpm=220)
    slow.synthesize(SENTENCES["fi"], "fi", tmp_path / "s.wav")
    fast.synthesize(SENTENCES["fi"], "fi", tmp_path / "f.wav")
    assert st.probe(tmp_path / "s.wav").duration > st.probe(tmp_path / "f.wav").duration * 1.2


# ---- gTTS through a fake HTTP layer -------------------------------------------------------

class FakeGoogle:
    """Stands in for ``requests.Session`` inside gTTS (it does ``with requests.Session() as s:
    s.send(prepared)``)."""

    def __init__(self, mode: str, mp3: bytes = b"") -> None:
        self.mode = mode
        self.mp3 = mp3
        self.calls: list[str] = []

    def session_factory(self) -> Any:
        fake = self

        class _Session:
            def __enter__(self) -> "_Session":
                return self

            def __exit__(self, *exc: Any) -> None:
                pass

            def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
                fake.calls.append(request.url or "")
                if fake.mode == "network":
                    raise requests.ConnectionError("Name or service not known")
                resp = requests.Response()
                resp.request = request
                resp.url = request.url or ""
                resp._content_consumed = True  # type: ignore[attr-defined]  # private, not in the stubs
                if fake.mode == "429":
                    resp.status_code, resp.reason, resp._content = 429, "Too Many Requests", b""
                else:
                    resp.status_code, resp.reason, resp._content = 200, "OK", gtts_body(fake.mp3)
                return resp

        return _Session


@pytest.fixture
def mp3_bytes(tmp_path: Path) -> bytes:
    return tone(tmp_path / "g.mp3", 1.5, codec=["-c:a", "libmp3lame"], rate=24000).read_bytes()


def fake_google(monkeypatch: pytest.MonkeyPatch, mode: str, mp3: bytes = b"") -> FakeGoogle:
    import gtts.tts

    fake = FakeGoogle(mode, mp3)
    monkeypatch.setattr(gtts.tts.requests, "Session", fake.session_factory())
    return fake


def test_gtts_success_writes_mp3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 mp3_bytes: bytes) -> None:
    fake = fake_google(monkeypatch, "ok", mp3_bytes)
    out = tmp_path / "g.mp3"
    GTTSEngine().synthesize("Hyvää päivää.", "fi", out)
    assert out.read_bytes() == mp3_bytes
    assert len(fake.calls) == 1 and "translate.google" in fake.calls[0]


@pytest.mark.parametrize("mode", ["network", "429"])
def test_gtts_failure_is_a_tts_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    fake_google(monkeypatch, mode)
    with pytest.raises(TTSError, match="429" if mode == "429" else "gTTS failed"):
        GTTSEngine().synthesize("Hyvää päivää.", "fi", tmp_path / "g.mp3")


def make_cache(tmp_path: Path, engines: list[Any]) -> PromptCache:
    return PromptCache(st.LocalStorage(tmp_path / "audio"), EngineChain(engines))


def test_gtts_success_is_cached_slowed_and_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     mp3_bytes: bytes) -> None:
    fake_google(monkeypatch, "ok", mp3_bytes)
    cache = make_cache(tmp_path, engines_from_config("gtts,espeak"))
    result = cache.render("Hyvää päivää.", "fi")
    assert result is not None and result.engine == "gtts" and result.created
    served = cache.storage.path(audio_name(result.key))
    # atempo=0.88: the 1.5 s tone becomes about 1.7 s (slower speech, same pitch).
    assert 1.6 < st.probe(served).duration < 1.9
    assert cache.lookup("Hyvää päivää.", "fi") == result.key


@pytest.mark.parametrize("mode", ["network", "429"])
def test_gtts_failure_falls_back_to_espeak_and_is_logged_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        mode: str) -> None:
    fake = fake_google(monkeypatch, mode)
    cache = make_cache(tmp_path, engines_from_config("gtts,espeak"))
    texts = ["Päävalikko.", "Valitse numero.", "Tähti toistaa."]
    with caplog.at_level(logging.INFO, logger="lampio.audio.tts"):
        results = [cache.render(t, "fi") for t in texts]
    assert all(r is not None and r.engine == "espeak" and r.created for r in results)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "gtts" in warnings[0].getMessage()
    if mode == "429":
        assert "429" in warnings[0].getMessage()
    # The breaker is open: gTTS was asked once, not once per prompt.
    assert len(fake.calls) == 1


def test_breaker_retries_after_cooldown_and_logs_recovery(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        mp3_bytes: bytes) -> None:
    now = [0.0]
    fake = fake_google(monkeypatch, "network")
    chain = EngineChain(engines_from_config("gtts,espeak"), cooldown=60, clock=lambda: now[0])
    cache = PromptCache(st.LocalStorage(tmp_path / "audio"), chain)
    with caplog.at_level(logging.INFO, logger="lampio.audio.tts"):
        assert engine_used(cache, "Yksi.") == "espeak"
        now[0] = 61.0
        assert engine_used(cache, "Kaksi.") == "espeak"
        assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1
        fake.mode, fake.mp3 = "ok", mp3_bytes
        now[0] = 200.0
        assert engine_used(cache, "Kolme.") == "gtts"
    assert any("works again" in r.getMessage() for r in caplog.records)


class Broken:
    name, rate, raw_ext, filters = "broken", "x", "wav", None

    def __init__(self) -> None:
        self.calls = 0

    def voice(self, lang: str) -> str:
        return lang

    def supports(self, lang: str) -> bool:
        return True

    def synthesize(self, text: str, lang: str, out: Path) -> None:
        self.calls += 1
        raise TTSError("always broken")


def test_no_working_engine_means_say(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_google(monkeypatch, "network")
    engines = [GTTSEngine(), EspeakEngine(binary="no-such-espeak-ng")]
    cache = make_cache(tmp_path, engines)
    assert cache.render("Päävalikko.", "fi") is None
    svc = service_without_twilio(cache)
    assert svc.prompt_url(Segment("Päävalikko.", "fi")) is None


def test_cache_key_depends_on_every_part() -> None:
    base = cache_key("Päävalikko.", "fi", "espeak", "fi", "150wpm")
    assert base == cache_key(" Päävalikko. ", "fi", "espeak", "fi", "150wpm")
    others = {
        cache_key("Päävalikko!", "fi", "espeak", "fi", "150wpm"),
        cache_key("Päävalikko.", "sv", "espeak", "fi", "150wpm"),
        cache_key("Päävalikko.", "fi", "gtts", "fi", "150wpm"),
        cache_key("Päävalikko.", "fi", "espeak", "fi-x", "150wpm"),
        cache_key("Päävalikko.", "fi", "espeak", "fi", "160wpm"),
    }
    assert base not in others and len(others) == 5
    assert len(base) == 64


def test_second_render_does_nothing_and_sidecar_says_the_text(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    espeak = EspeakEngine()
    cache = make_cache(tmp_path, [espeak])
    first = cache.render("Tähti toistaa.", "fi")
    assert first is not None and first.created
    assert first.key == cache_key("Tähti toistaa.", "fi", "espeak", "fi", "150wpm")
    path = cache.storage.path(audio_name(first.key))
    mtime = path.stat().st_mtime_ns
    calls: list[str] = []
    monkeypatch_synth = espeak.synthesize

    def counting(text: str, lang: str, out: Path) -> None:
        calls.append(text)
        monkeypatch_synth(text, lang, out)

    monkeypatch.setattr(espeak, "synthesize", counting)
    again = cache.render("Tähti toistaa.", "fi")
    assert again is not None and not again.created and again.key == first.key
    assert calls == [] and path.stat().st_mtime_ns == mtime
    import json

    side = json.loads(cache.storage.path(audio_name(first.key, "json")).read_text())
    assert side["text"] == "Tähti toistaa." and side["lang"] == "fi" and side["engine"] == "espeak"


def test_prompt_url_is_a_lookup_never_synthesis(tmp_path: Path) -> None:
    broken = Broken()
    cache = make_cache(tmp_path, [broken, EspeakEngine()])
    svc = service_without_twilio(cache)
    seg = Segment("Tervetuloa.", "fi")
    assert svc.prompt_url(seg) is None
    assert broken.calls == 0  # not rendered on the caller's path
    rendered = cache.render("Tervetuloa.", "fi")
    assert rendered is not None and rendered.engine == "espeak"
    assert svc.prompt_url(seg) == f"/audio/{rendered.key}.mp3"
    assert svc.play_text(f"https://x.test/audio/{rendered.key}.mp3") == "Tervetuloa."
    assert svc.prompt_url(Segment("x", "fi", audio_path="recordings/" + "a" * 32 + ".mp3")) \
        == "/audio/recordings/" + "a" * 32 + ".mp3"


def test_engines_from_config() -> None:
    assert [e.name for e in engines_from_config("gtts, espeak")] == ["gtts", "espeak"]
    assert [e.name for e in engines_from_config("espeak")] == ["espeak"]
    with pytest.raises(ValueError):
        engines_from_config("festival")
