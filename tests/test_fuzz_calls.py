"""A bounded fuzz of the webhooks (issue 11): 1,000 signed posts, seeded, on the test database —
real action URLs with odd keys and words, mangled URLs, odd CallSids and numbers (Unicode
digits, NUL bytes, long strings), status callbacks and the fallback. No 5xx, every body TwiML,
no hang-up for a caller still on the line. ``bench/fuzz_calls.py`` runs the same with 10,000."""
from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session as DbSession

from tests import factories as f
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from voice.simulator_fuzz import Fuzzer

POSTS = 1000
SEED = 20261201


def test_thousand_odd_signed_posts(client: FlaskClient, db: DbSession) -> None:
    prov = f.provider(db, "Tampereen Teatteri", pin="2468")
    f.caller(db, "+358912345678", language="fi", name="Aino")
    for code, days in (("101", 1), ("102", 2)):
        ev = f.event(db, title=f"Tapahtuma {code}", prov=prov, code=code)
        f.session(db, ev, capacity=2, starts_in=timedelta(days=days))
    db.commit()

    def transport(path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        resp = client.post(path, data=form, headers=headers, base_url=PUBLIC_BASE_URL)
        return resp.status_code, resp.get_data(as_text=True)

    counts = Fuzzer(transport, AUTH_TOKEN, PUBLIC_BASE_URL, seed=SEED).run(POSTS)
    assert counts.posts == POSTS
    assert not counts.server_errors, counts.server_errors[:5]
    assert not counts.invalid_xml, counts.invalid_xml[:5]
    assert not counts.bad_hangups, counts.bad_hangups[:5]
    assert not counts.flow_apologies, counts.flow_apologies[:5]
    assert set(counts.status) <= {200, 204}, counts.status
    # The fuzz reached every webhook, and most turns were not apologies.
    assert all(counts.endpoints[p] > 20 for p in ("/voice/incoming", "/voice/turn",
                                                  "/voice/provider/incoming", "/voice/status",
                                                  "/voice/fallback")), counts.endpoints
    assert counts.apologies < POSTS // 4, counts
