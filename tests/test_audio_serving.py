"""Serving cached prompts and recordings: ETag, 304, ranges, Cache-Control, sidecars."""
from __future__ import annotations

import shutil
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session as DbSession

from audio import service as service_of
from audio.storage import new_recording_name
from ivr_flows.reply import Segment
from tests.test_audio_support import tone


def test_prompt_served_with_etag_cache_control_and_ranges(app: Flask, client: FlaskClient) -> None:
    svc = service_of(app)
    rendered = svc.cache.render("Päävalikko.", "fi")
    assert rendered is not None
    url = svc.prompt_url(Segment("Päävalikko.", "fi"))
    assert url == f"/audio/{rendered.key}.mp3"

    resp = client.get(url)
    assert resp.status_code == 200
    assert resp.mimetype == "audio/mpeg"
    body = resp.data
    assert len(body) > 1000
    assert resp.headers["ETag"].strip('"') == rendered.key
    cc = resp.headers["Cache-Control"]
    assert "public" in cc and "immutable" in cc and "max-age=31536000" in cc
    assert resp.headers.get("Accept-Ranges") == "bytes"

    again = client.get(url, headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""

    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(body)}"
    assert part.data == body[100:200]

    head = client.head(url)
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == len(body)

    side = client.get(f"/audio/{rendered.key}.json")
    assert side.status_code == 200 and side.json is not None
    assert side.json["text"] == "Päävalikko." and side.json["lang"] == "fi"


def test_unknown_or_malformed_names_are_404(client: FlaskClient) -> None:
    assert client.get("/audio/" + "0" * 64 + ".mp3").status_code == 404
    assert client.get("/audio/..%2F..%2Fsecret_key.mp3").status_code == 404
    assert client.get("/audio/abc.mp3").status_code == 404
    assert client.get("/audio/" + "0" * 64 + ".wav").status_code == 404
    assert client.get("/audio/recordings/" + "0" * 32 + ".mp3").status_code == 404
    assert client.get("/audio/recordings/../../x.mp3").status_code == 404


def test_recording_served_revalidated(app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    svc = service_of(app)
    name = new_recording_name()
    src = tone(tmp_path / "t.mp3", 2, codec=["-c:a", "libmp3lame"])
    svc.storage.put_file(src, name)
    url = svc.recording_url(name)
    assert url == f"/audio/{name}"
    resp = client.get(url)
    assert resp.status_code == 200 and resp.mimetype == "audio/mpeg"
    assert "no-cache" in resp.headers["Cache-Control"]
    etag = resp.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    part = client.get(url, headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and len(part.data) == 10
    assert svc.play_text("https://x.test" + url) == "[recording]"
    shutil.rmtree(svc.storage.root / "recordings")
    assert client.get(url).status_code == 404


def test_a_call_plays_cached_prompts_and_says_the_rest(app: Flask, client: FlaskClient,
                                                       db: DbSession) -> None:
    from ivr_flows import prompts
    from tests import factories as f
    from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
    from tests.phone import Phone, played

    f.caller(db, "+358912345678", language="fi")
    db.commit()
    svc = service_of(app)
    for seg in prompts.segments("fi", "main.programme") + prompts.segments("fi", "main.intro"):
        assert svc.cache.render(seg.text, "fi") is not None
    phone = Phone(client, AUTH_TOKEN, PUBLIC_BASE_URL, from_number="+358912345678",
                  play_text=svc.play_text)
    t = phone.call()
    plays = played(t)
    assert t.root is not None
    says = list(t.root.iter("Say"))
    assert len(plays) == 2 and all(p.startswith(PUBLIC_BASE_URL + "/audio/") for p in plays)
    assert says, "sentences not rendered yet are spoken by <Say>, not waited for"
    assert "Päävalikko." in t.said and prompts.text("fi", "main.programme") in t.said
