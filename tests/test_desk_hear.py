""""What callers hear" says what the phone says (issue 12): at a chosen day and time, to a
caller of a chosen home city and language, the page's sentences are the words a simulated call
hears through the real webhooks at that moment — the count and groups, each item's first turn
as the walk says it (3, next), and its "more" — so nothing finished is "on now" and no item is
listed that callers never hear. Each item has a "play the whole item" control, or says that it
has no audio yet."""
from __future__ import annotations

import html as htmllib
import re
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from admin.i18n import t
from catalogue import listening
from catalogue.demo import load_demo
from catalogue.models import City, SessionAudio, SessionKind
from catalogue.models import Session as SessionRow
from catalogue.timeutil import LOCAL_TZ, to_local, to_utc, utcnow
from tests import factories as f
from ivr_flows import prompts
from tests.admin_support import as_staff  # noqa: F401  (a fixture)
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.phone import Phone
from voice.simulator import Turn

AINO = "+358912345678"  # the demo's Helsinki caller (09), Finnish
_Q = re.compile(r"<q>(.*?)</q>", re.S)



def demo_week(db: DbSession) -> None:
    """The demo with its recordings' audio approved (as staff would), as the walk's tests do."""
    now = utcnow()
    load_demo(db, now)
    db.flush()
    for i, rec in enumerate(db.scalars(select(SessionRow).where(
            SessionRow.kind == SessionKind.RECORDING))):
        name = f"recordings/{i:032x}.mp3"
        audio = listening.create_audio(db, rec, name, [name], 180, 60, SessionAudio.Source.UPLOAD)
        listening.review(db, audio, approve=True)
    db.commit()


def moment() -> datetime:
    """Tomorrow at 13.00 Helsinki time: within the demo's fortnight, some of it under way."""
    day = to_local(utcnow()).date() + timedelta(days=1)
    return to_utc(datetime.combine(day, time(13, 0), LOCAL_TZ))


def sentences(fragment: str) -> list[str]:
    return [htmllib.unescape(re.sub(r"\s+", " ", s)).strip() for s in _Q.findall(fragment)]


def page_parts(page: str) -> tuple[list[str], list[tuple[list[str], list[str]]]]:
    """The opening's sentences, and each item's (first turn, more)."""
    opening = sentences(page[page.index('aria-labelledby="opening-h"'):page.index("</ol>",
                        page.index('aria-labelledby="opening-h"'))])
    items = []
    for block in page.split('<li class="item"')[1:]:
        first, _, rest = block.partition("<details>")
        items.append((sentences(first), sentences(rest)))
    return opening, items


def phone_walk(app: Flask, monkeypatch: pytest.MonkeyPatch, at: datetime, group_key: str
               ) -> tuple[Turn, list[Turn], Turn]:
    """The real call at ``at``: 1, the group, then the first item's 1 (more), 3 to the end."""
    monkeypatch.setattr("voice.calls.utcnow", lambda: at)
    phone = Phone(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL, from_number=AINO)
    phone.call()
    groups = phone.press("1")
    items = [phone.press(group_key)]
    more = phone.press("1")
    for _ in range(60):
        nxt = phone.press("3")
        if nxt.said[:1] == [prompts.text("fi", "groups.end_all")]:
            return groups, items, more
        items.append(nxt)
    raise AssertionError("the walk did not end")


def test_the_page_says_exactly_what_the_phone_says_at_that_moment(
        app: Flask, db: DbSession, as_staff: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    demo_week(db)
    at = moment()
    helsinki = db.scalar(select(City).where(City.slug == "helsinki"))
    assert helsinki is not None
    local = to_local(at)
    page = as_staff.get(f"/admin/hear?day={local.date().isoformat()}&at={local:%H:%M}"
                        f"&city={helsinki.id}&lang=fi&group=all").get_data(as_text=True)
    opening, items = page_parts(page)
    groups, heard, more = phone_walk(app, monkeypatch, at, "4")
    assert opening == groups.said
    assert len(items) == len(heard) >= 5
    for (first, _), turn in zip(items, heard):
        assert first == turn.said
    assert items[0][1] == more.said
    # what is under way is on now; nothing of another city is listed
    assert items[0][0][0] == prompts.text("fi", "item.now")
    assert not any("Turun" in " ".join(first) for first, _ in items)


def test_a_finished_session_is_not_on_now_and_a_running_one_is(app: Flask, db: DbSession,
                                                               as_staff: Any) -> None:
    ev = f.event(db, title="Maanantain konsertti")
    at = moment()
    over = f.session(db, ev, starts_in=at - timedelta(days=1) - utcnow())  # ended a day before
    running = f.session(db, f.event(db, title="Nyt soiva"), starts_in=at - timedelta(minutes=10)
                        - utcnow(), minutes=60)
    db.commit()
    local = to_local(at)
    page = as_staff.get(f"/admin/hear?day={local.date().isoformat()}&at={local:%H:%M}"
                        ).get_data(as_text=True)
    assert "Maanantain konsertti" not in page
    assert f'id="item-{over.id}"' not in page
    block = page[page.index(f'id="item-{running.id}"'):]
    assert prompts.text("fi", "item.now") in block[:block.index("</ol>")]


def test_play_the_whole_item_or_say_there_is_no_audio(app: Flask, db: DbSession, as_staff: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    ev = f.event(db, title="Kamarikonsertti")
    f.session(db, ev, starts_in=timedelta(hours=2))
    db.commit()
    page = as_staff.get("/admin/hear").get_data(as_text=True)
    assert t("hear.no_audio_item", "fi") in page and "data-play-item" not in page
    svc = app.extensions["lampio_audio"]
    monkeypatch.setattr(type(svc), "prompt_url",
                        lambda self, seg, slow=False: None if "Kamari" in seg.text
                        else f"/audio/{abs(hash(seg.text))}.mp3")
    page = as_staff.get("/admin/hear").get_data(as_text=True)
    assert "data-play-item" in page and "data-sentence" in page
    assert t("hear.some_audio_missing", "fi", missing=1, count=page.count("<q>") - 2
             ).split(":")[0].split("/")[0] in page


def test_a_bad_day_is_said_next_to_its_field_and_now_is_shown(app: Flask, db: DbSession,
                                                              as_staff: Any) -> None:
    resp = as_staff.get("/admin/hear?day=31.13.2026&at=25:99")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'id="day-error"' in page and 'id="at-error"' in page
    assert t("err.day", "fi") in page and t("err.time", "fi") in page
    assert t("hear.opening", "fi", when="").split("(")[0] in page  # the programme of now


def test_a_provider_hears_only_its_own_items(app: Flask, db: DbSession, client: Any) -> None:
    from tests.admin_support import login, provider_user

    own = f.event(db, title="Oma konsertti", prov=f.provider(db, "Oma orkesteri"))
    other = f.event(db, title="Toisen konsertti", prov=f.provider(db, "Toinen"))
    f.session(db, own, starts_in=timedelta(hours=3))
    f.session(db, other, starts_in=timedelta(hours=2))
    provider_user(db, own.provider)
    db.commit()
    login(client, "prov@example.test")
    page = client.get("/admin/hear").get_data(as_text=True)
    assert "Oma konsertti" in page and "Toisen konsertti" not in page
