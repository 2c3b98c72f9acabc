"""Upload validation with real good and bad files."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from audio import storage as st
from audio.upload import MAX_BYTES, UploadError, accept_upload
from tests.test_audio_support import espeak_wav, ffmpeg, silence


@pytest.fixture
def storage(tmp_path: Path) -> st.LocalStorage:
    return st.LocalStorage(tmp_path / "audio")


def test_wav_from_espeak_is_accepted_and_converted(storage: st.LocalStorage, tmp_path: Path) -> None:
    wav = espeak_wav(tmp_path / "desc.wav", "Tervetuloa konserttiin. Soitamme vanhoja lauluja.", "fi")
    stored = accept_upload(storage, wav.open("rb"))
    assert stored.detected_mime in {"audio/x-wav", "audio/wav"}
    assert stored.name.startswith("recordings/") and stored.name.endswith(".mp3")
    info = st.probe(storage.path(stored.name))
    assert (info.codec, info.channels, info.sample_rate) == ("mp3", 1, 22050)
    assert abs(info.duration - stored.duration) < 0.1 and stored.duration > 2


def test_mp3_made_by_ffmpeg_is_accepted_from_bytes(storage: st.LocalStorage, tmp_path: Path) -> None:
    wav = espeak_wav(tmp_path / "s.wav", "Welcome to the museum tour.")
    mp3 = tmp_path / "upload.bin"  # the name says nothing; the content decides
    ffmpeg("-i", str(wav), "-c:a", "libmp3lame", "-f", "mp3", str(mp3))
    stored = accept_upload(storage, mp3.read_bytes())
    assert stored.detected_mime == "audio/mpeg"
    assert storage.exists(stored.name)


def test_text_file_named_mp3_is_refused(storage: st.LocalStorage, tmp_path: Path) -> None:
    fake = tmp_path / "kuvaus.mp3"
    fake.write_text("Tämä ei ole äänitiedosto vaan tekstiä.\n" * 50)
    with pytest.raises(UploadError) as info:
        accept_upload(storage, fake)
    err = info.value
    assert err.code == "not_audio"
    assert "äänitiedosto" in err.message["fi"] and "ljudfil" in err.message["sv"]
    assert "not an audio file" in str(err)
    assert not (storage.root / "recordings").exists() or not any((storage.root / "recordings").iterdir())


def test_six_minutes_is_too_long(storage: st.LocalStorage, tmp_path: Path) -> None:
    long = tmp_path / "long.mp3"
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", str(tmp_path / "long.wav"), "synth",
                    "360", "sine", "300"], check=True, capture_output=True)
    ffmpeg("-i", str(tmp_path / "long.wav"), "-c:a", "libmp3lame", "-b:a", "16k", str(long))
    assert long.stat().st_size < MAX_BYTES
    with pytest.raises(UploadError) as info:
        accept_upload(storage, long)
    assert info.value.code == "too_long"
    assert "6.0 min" in info.value.message["en"] and "5 minuuttia" in info.value.message["fi"]


def test_over_20_mb_is_too_big(storage: st.LocalStorage, tmp_path: Path) -> None:
    big = tmp_path / "big.wav"  # 2 minutes of 48 kHz stereo 16-bit: about 23 MB of real audio
    subprocess.run(["sox", "-n", "-r", "48000", "-c", "2", "-b", "16", str(big), "synth", "120",
                    "sine", "440"], check=True, capture_output=True)
    assert big.stat().st_size > MAX_BYTES
    with pytest.raises(UploadError) as info:
        accept_upload(storage, big.open("rb"))
    assert info.value.code == "too_big" and "20 MB" in info.value.message["en"]


def test_silent_and_empty_files_are_refused(storage: st.LocalStorage, tmp_path: Path) -> None:
    with pytest.raises(UploadError) as info:
        accept_upload(storage, silence(tmp_path / "quiet.wav", 10))
    assert info.value.code == "too_short"
    with pytest.raises(UploadError) as info:
        accept_upload(storage, b"")
    assert info.value.code == "empty"


def test_truncated_audio_is_unreadable(storage: st.LocalStorage, tmp_path: Path) -> None:
    wav = espeak_wav(tmp_path / "w.wav", "Hello")
    cut = tmp_path / "cut.wav"
    cut.write_bytes(wav.read_bytes()[:44])  # a WAV header and no samples
    with pytest.raises(UploadError) as info:
        accept_upload(storage, cut)
    assert info.value.code in {"unreadable", "too_short"}
