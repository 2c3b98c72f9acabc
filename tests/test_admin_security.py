"""The admin under attack (issue 11, finding 6): login throttling per account and per address,
logout that ends the session on the server, Secure cookies over https, CR/LF-safe ``next``,
a body size limit, security headers."""
from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from admin.auth import _safe_next
from admin.hardening import CSP
from app import SettingError, create_app
from catalogue.models import LoginThrottle
from tests.admin_support import PASSWORD, login, staff, token
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL, base_config
from voice.simulator import SimulatedCall

EMAIL = "staff@example.test"


def _try(client: Any, email: str, password: str, **kw: Any) -> Any:
    return client.post("/admin/login", data={"email": email, "password": password,
                                              "csrf_token": token(client)}, **kw)


@pytest.fixture
def other_app(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """A second app on the same database: another worker process of ``lampio serve``."""
    other = create_app(base_config(app.config["DATABASE_URL"], tmp_path / "other"))
    yield other
    other.extensions["lampio_engine"].dispose()


def test_sixth_wrong_password_is_refused_even_with_the_right_one(
        app: Flask, db: DbSession, client: Any, caplog: pytest.LogCaptureFixture) -> None:
    staff(db)
    db.commit()
    for _ in range(5):
        assert _try(client, EMAIL, "wrong password!").status_code == 401
    with caplog.at_level(logging.INFO):
        resp = _try(client, "  Staff@Example.test ", PASSWORD)  # the same account, however typed
    assert resp.status_code == 429
    assert "Liian monta väärää kirjautumisyritystä" in resp.get_data(as_text=True)
    assert 'name="password"' in resp.get_data(as_text=True)  # the form, with the reason
    assert client.get("/admin/").status_code == 302  # not logged in
    lines = [r.getMessage() for r in caplog.records if "throttled" in r.getMessage()]
    assert lines and all("staff@" not in line and "example.test" not in line for line in lines)
    # Another account from the same address is not locked by this one's failures.
    staff(db, "other@example.test")
    db.commit()
    assert _try(client, "other@example.test", PASSWORD).status_code == 302


def test_right_logins_do_not_count(db: DbSession, client: Any) -> None:
    staff(db)
    db.commit()
    for _ in range(7):
        login(client, EMAIL)
        client.post("/admin/logout", data={"csrf_token": token(client, "/admin/")})
    assert db.scalar(select(func.count()).select_from(LoginThrottle)) == 0


def test_twenty_failures_from_one_address_refuse_it_but_not_others(db: DbSession,
                                                                    client: Any) -> None:
    staff(db)
    db.commit()
    attacker = {"REMOTE_ADDR": "203.0.113.7"}
    for n in range(20):  # 20 accounts, 1 guess each: under every account's own limit
        resp = _try(client, f"guess{n}@example.test", "wrong password!", environ_base=attacker)
        assert resp.status_code == 401
    assert _try(client, EMAIL, PASSWORD, environ_base=attacker).status_code == 429
    assert _try(client, EMAIL, PASSWORD,
                environ_base={"REMOTE_ADDR": "198.51.100.2"}).status_code == 302


def test_the_count_is_shared_by_every_process(db: DbSession, client: Any,
                                              other_app: Flask) -> None:
    staff(db)
    db.commit()
    other = other_app.test_client()
    for n in range(5):
        assert _try(client if n % 2 else other, EMAIL, "wrong password!").status_code == 401
    assert _try(client, EMAIL, PASSWORD).status_code == 429
    assert _try(other, EMAIL, PASSWORD).status_code == 429


def test_behind_a_proxy_the_address_is_the_forwarded_one(app: Flask, db: DbSession,
                                                         tmp_path: Path) -> None:
    proxied = create_app({**base_config(app.config["DATABASE_URL"], tmp_path / "p"),
                          "PROXY_FIX_HOPS": 1})
    try:
        staff(db)
        db.commit()
        c = proxied.test_client()
        for n in range(20):
            _try(c, f"guess{n}@example.test", "x" * 12,
                 headers={"X-Forwarded-For": "203.0.113.7"})
        assert _try(c, EMAIL, PASSWORD, headers={"X-Forwarded-For": "203.0.113.7"}
                    ).status_code == 429
        # The proxy's own address (127.0.0.1 here) and other clients are not refused.
        assert _try(c, EMAIL, PASSWORD, headers={"X-Forwarded-For": "198.51.100.2"}
                    ).status_code == 302
    finally:
        proxied.extensions["lampio_engine"].dispose()


def test_a_cookie_saved_before_logout_opens_nothing_after(db: DbSession, client: Any) -> None:
    staff(db)
    db.commit()
    login(client, EMAIL)
    assert client.get("/admin/").status_code == 200
    saved = client.get_cookie("session").value
    client.post("/admin/logout", data={"csrf_token": token(client, "/admin/")})
    client.set_cookie("session", saved)  # the attacker's copy
    resp = client.get("/admin/")
    assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"]
    # Logging in again works, with a new session.
    login(client, EMAIL)
    assert client.get("/admin/").status_code == 200


def test_a_new_demo_password_ends_the_old_sessions(app: Flask, db: DbSession, client: Any) -> None:
    from admin.users import DEMO_STAFF_EMAIL, demo_password, load_demo_users

    load_demo_users(db, "first secret")
    db.commit()
    login(client, DEMO_STAFF_EMAIL, demo_password("first secret", DEMO_STAFF_EMAIL))
    assert client.get("/admin/").status_code == 200
    load_demo_users(db, "first secret")  # the same password: sessions live on
    db.commit()
    assert client.get("/admin/").status_code == 200
    load_demo_users(db, "another secret")
    db.commit()
    assert client.get("/admin/").status_code == 302


def _session_cookie(resp: Any) -> str:
    cookies = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, resp.headers
    return cookies[0]


def test_the_cookie_is_secure_over_https_without_public_base_url(app: Flask,
                                                                 tmp_path: Path) -> None:
    for hops in (0, 1):
        cfg = {**base_config(app.config["DATABASE_URL"], tmp_path / str(hops)),
               "PUBLIC_BASE_URL": "", "TESTING": False, "TWILIO_ACCOUNT_SID": "",
               "PROXY_FIX_HOPS": hops}
        plain = create_app(cfg)
        try:
            c = plain.test_client()
            assert "Secure" not in _session_cookie(c.get("/admin/login"))
            https = c.get("/admin/login", headers={"X-Forwarded-Proto": "https",
                                                   "X-Forwarded-For": "198.51.100.2"})
            assert "; Secure" in _session_cookie(https)
            direct = c.get("/admin/login", base_url="https://admin.example.test")
            assert "; Secure" in _session_cookie(direct)
        finally:
            plain.extensions["lampio_engine"].dispose()


@pytest.mark.parametrize("target", [
    "/admin/\r\nSet-Cookie: x=1", "/admin/%0d%0a", "//evil.example/admin", "/admin//evil.example",
    "/\\evil.example", "/admin\\..\\..", "https://evil.example/admin", "/administrator",
    "/admin/\x00", "javascript:alert(1)",
])
def test_a_bad_next_goes_to_the_admin_home(db: DbSession, client: Any, target: str) -> None:
    staff(db)
    db.commit()
    resp = client.post("/admin/login", query_string={"next": target},
                       data={"email": EMAIL, "password": PASSWORD, "csrf_token": token(client)})
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location == "/admin/" or (target == "/admin/%0d%0a" and location == target)
    assert "\r" not in location and "\n" not in location


def test_a_good_next_is_kept() -> None:
    assert _safe_next("/admin/events?page=2") == "/admin/events?page=2"
    assert _safe_next("/admin") == "/admin"
    assert _safe_next("/admin/\nx") is None


def test_a_too_large_body_is_refused_with_a_readable_page(db: DbSession, client: Any) -> None:
    big = io.BytesIO(b"\0" * (26 << 20))
    resp = client.post("/admin/login", data={"email": EMAIL, "password": "x", "f": (big, "a.wav")})
    assert resp.status_code == 413
    assert "liian suuri" in resp.get_data(as_text=True) and "25 Mt" in resp.get_data(as_text=True)
    staff(db)
    db.commit()
    login(client, EMAIL)
    resp = client.post("/admin/recordings/upload",
                       data={"audio": (io.BytesIO(b"\0" * (26 << 20)), "a.wav")})
    assert resp.status_code == 413


def test_the_session_audio_upload_keeps_its_larger_limit(db: DbSession, client: Any) -> None:
    staff(db)
    db.commit()
    login(client, EMAIL)
    resp = client.post("/admin/listen/upload", data={
        "csrf_token": token(client, "/admin/listen/upload"), "session_id": "999999",
        "audio": (io.BytesIO(b"\0" * (26 << 20)), "a.wav")})
    assert resp.status_code != 413  # read and judged by the form (no such session)
    assert resp.status_code < 500


def _caller(client: Any, base_url: str, seen: list[Any], **headers: str) -> SimulatedCall:
    """A caller whose transport keeps the responses (for their headers)."""
    def transport(path: str, form: dict[str, str], signed: dict[str, str]) -> tuple[int, str]:
        resp = client.post(path, data=form, headers={**signed, **headers}, base_url=base_url)
        seen.append(resp)
        return resp.status_code, resp.get_data(as_text=True)

    return SimulatedCall(transport, AUTH_TOKEN, PUBLIC_BASE_URL, from_number="+358912345678")


def test_security_headers_on_admin_pages_and_webhooks(client: Any) -> None:
    for resp in (client.get("/admin/login"), client.get("/admin/")):
        assert resp.headers["Content-Security-Policy"] == CSP
        assert "frame-ancestors 'none'" in CSP and "script-src 'self'" in CSP
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "same-origin"
    seen: list[Any] = []
    turn = _caller(client, PUBLIC_BASE_URL, seen).call()
    assert turn.gather is not None  # the webhooks still answer with TwiML
    assert seen[-1].status_code == 200 and seen[-1].headers["X-Content-Type-Options"] == "nosniff"


def test_webhook_signatures_behind_proxy_fix(app: Flask, tmp_path: Path) -> None:
    """With PROXY_FIX_HOPS the URL Twilio signed is the one ProxyFix read from the proxy."""
    proxied = create_app({**base_config(app.config["DATABASE_URL"], tmp_path / "p"),
                          "PUBLIC_BASE_URL": "", "PROXY_FIX_HOPS": 1})
    try:
        seen: list[Any] = []
        host = PUBLIC_BASE_URL.split("://")[1]
        turn = _caller(proxied.test_client(), "http://127.0.0.1:5000", seen,
                       **{"X-Forwarded-Proto": "https", "X-Forwarded-Host": host,
                          "X-Forwarded-Port": "443", "X-Forwarded-For": "198.51.100.9"}).call()
        assert seen[-1].status_code == 200 and turn.gather is not None
    finally:
        proxied.extensions["lampio_engine"].dispose()


@pytest.mark.parametrize(("name", "value"), [
    ("PROXY_FIX_HOPS", "one"), ("PROXY_FIX_HOPS", "9"), ("MAX_UPLOAD_MB", "5"),
    ("RATELIMIT_STORAGE_URI", "nosuch://somewhere"),
])
def test_bad_admin_security_settings_stop_the_app(name: str, value: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingError, match=f"^{name}: "):
        create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})


def test_the_database_counter_is_atomic_under_parallel_failures(app: Flask) -> None:
    """Each increment is one upsert: 16 at once from many threads count 16, none lost."""
    from concurrent.futures import ThreadPoolExecutor

    from admin.throttle import DatabaseStorage

    store = DatabaseStorage()

    def hit(_n: int) -> int:
        with app.app_context():
            return store.incr("LIMITER/acct:test", 900)

    with ThreadPoolExecutor(8) as pool:
        counts = sorted(pool.map(hit, range(16)))
    assert counts == list(range(1, 17))
    with app.app_context():
        assert store.get("LIMITER/acct:test") == 16
        store.clear("LIMITER/acct:test")
        assert store.get("LIMITER/acct:test") == 0
        # A window that has ended starts again from one.
        assert store.incr("LIMITER/acct:old", 0) == 1
        assert store.incr("LIMITER/acct:old", 0) == 1
