"""Staff manage logins in the admin: create (the user sets a password through a one-time
link), change role, deactivate (sessions end at once) and reactivate; the link works once,
expires, and a wrong one opens nothing. With SMTP configured the link is e-mailed too (to a
local SMTP server: no network; ``test_admin_mail``)."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from admin import resets
from admin.users import UserError, set_active
from catalogue.models import PasswordReset, User, UserRole
from catalogue.timeutil import utcnow
from tests import factories as f
from tests.admin_support import PASSWORD, login, post, provider_user, staff, token
from tests.test_admin_views import as_staff  # noqa: F401  (the fixture: staff logged in)

NEW_PASSWORD = "a brand new secret"
_LINK = re.compile(r'id="link" type="text" readonly value="([^"]+)"')


def _provider_logged_in(app: Flask, db: DbSession) -> tuple[User, Any]:
    """A provider login, and a client of theirs logged in with it."""
    user = provider_user(db, f.provider(db))
    db.commit()
    theirs = app.test_client()
    login(theirs, "prov@example.test")
    return user, theirs


def _link(html: str) -> str:
    m = _LINK.search(html)
    assert m, html[:3000]
    return m.group(1)


def _path(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def _set_password(client: Any, link: str, password: str = NEW_PASSWORD,
                  again: str | None = None) -> Any:
    url = _path(link)
    return client.post(url, data={"password": password, "again": again or password,
                                  "csrf_token": token(client, url)})


def _user(db: DbSession, email: str) -> User:
    db.commit()
    db.expire_all()
    found = db.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


def test_staff_create_a_provider_user_who_sets_a_password_by_the_link(
        app: Flask, db: DbSession, as_staff: Any) -> None:
    prov = f.provider(db, "Kirjasto")
    db.commit()
    # a provider login without a provider is refused next to the field, nothing is made
    resp = post(as_staff, "/admin/users/new", {"email": "uusi@example.test", "role": "provider",
                                               "provider_id": "0"}, page="/admin/users/new")
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "Valitse tuottaja tuottajan tunnukselle." in html and 'value="uusi@example.test"' in html
    resp = post(as_staff, "/admin/users/new", {"email": "Uusi@Example.test", "role": "provider",
                                               "provider_id": str(prov.id)}, page="/admin/users/new")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    link = _link(resp.get_data(as_text=True))
    assert link.startswith("https://phone.example.test/admin/password/")  # PUBLIC_BASE_URL
    assert "Sähköpostia ei ole otettu käyttöön" in resp.get_data(as_text=True)
    user = _user(db, "uusi@example.test")
    assert user.role == UserRole.PROVIDER and user.provider_id == prov.id
    # only a hash of the token is stored
    token_part = link.rsplit("/", 1)[1]
    row = db.scalar(select(PasswordReset).where(PasswordReset.user_id == user.id))
    assert row is not None and row.token_hash == resets.digest(token_part)
    assert token_part not in row.token_hash
    # the same address again is refused
    again = post(as_staff, "/admin/users/new", {"email": "uusi@example.test", "role": "staff",
                                                "provider_id": "0"}, page="/admin/users/new")
    assert again.status_code == 400 and "Tällä sähköpostiosoitteella on jo käyttäjä." in again.get_data(as_text=True)
    listed = as_staff.get("/admin/users").get_data(as_text=True)
    assert "uusi@example.test" in listed and "Kirjasto" in listed

    other = app.test_client()
    page = other.get(_path(link))
    assert page.status_code == 200 and "uusi@example.test" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    short = _set_password(other, link, "short")
    assert short.status_code == 400 and "vähintään 10 merkkiä" in short.get_data(as_text=True)
    differs = _set_password(other, link, NEW_PASSWORD, "something else entirely")
    assert differs.status_code == 400 and "Salasanat eivät ole samat" in differs.get_data(as_text=True)
    done = _set_password(other, link)
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/login")
    login(other, "uusi@example.test", NEW_PASSWORD)
    assert other.get("/admin/events").status_code == 200
    # the link worked once
    reused = app.test_client().get(_path(link))
    assert reused.status_code == 410 and "Linkki on jo käytetty." in reused.get_data(as_text=True)
    assert _set_password(app.test_client(), link, "another password 123").status_code == 410


def test_a_wrong_or_expired_link_opens_nothing(app: Flask, db: DbSession, client: Any) -> None:
    boss = staff(db)
    user = provider_user(db, f.provider(db))
    now = utcnow()
    old, _ = resets.issue(db, user, boss, 24, now - timedelta(hours=25))
    db.commit()
    expired = client.get(f"/admin/password/{old}")
    assert expired.status_code == 410 and "Linkki on vanhentunut." in expired.get_data(as_text=True)
    wrong = client.get(f"/admin/password/{old[:-2]}xx")
    assert wrong.status_code == 404 and "Tätä linkkiä ei ole" in wrong.get_data(as_text=True)
    # a POST to an expired link changes nothing
    resp = client.post(f"/admin/password/{old}", data={"password": NEW_PASSWORD, "again": NEW_PASSWORD,
                                                       "csrf_token": token(client)})
    assert resp.status_code == 410
    login(client, "prov@example.test", PASSWORD)  # the old password still works

    with pytest.raises(resets.ResetError) as raised:
        resets.use(db, "no-such-token", NEW_PASSWORD, now)
    assert raised.value.problem == resets.Problem.UNKNOWN


def test_a_new_link_ends_the_earlier_one_and_a_link_is_used_once(db: DbSession) -> None:
    boss = staff(db)
    user = provider_user(db, f.provider(db))
    now = utcnow()
    first, _ = resets.issue(db, user, boss, 24, now)
    second, expires = resets.issue(db, user, boss, 24, now)
    assert expires == now + timedelta(hours=24)
    with pytest.raises(resets.ResetError) as raised:
        resets.check(db, first, now)
    assert raised.value.problem == resets.Problem.USED
    version = user.session_version
    resets.use(db, second, NEW_PASSWORD, now)
    assert user.session_version == version + 1  # every old session of the user ends
    with pytest.raises(resets.ResetError) as raised:
        resets.use(db, second, "and yet another one", now)
    assert raised.value.problem == resets.Problem.USED
    # a password too short leaves the link good
    third, _ = resets.issue(db, user, boss, 24, now)
    with pytest.raises(UserError):
        resets.use(db, third, "short", now)
    db.rollback()


def test_deactivating_ends_the_users_sessions_and_logins(app: Flask, db: DbSession,
                                                         as_staff: Any) -> None:
    user, theirs = _provider_logged_in(app, db)
    assert theirs.get("/admin/events").status_code == 200
    page = f"/admin/users/{user.id}"
    resp = post(as_staff, f"{page}/deactivate", {}, page=page)
    assert resp.status_code == 302
    assert "poistettiin käytöstä" in as_staff.get(page).get_data(as_text=True)
    # their open session ends at once, and they cannot log in again
    gone = theirs.get("/admin/events")
    assert gone.status_code == 302 and "/admin/login" in gone.headers["Location"]
    refused = theirs.post("/admin/login", data={"email": "prov@example.test", "password": PASSWORD,
                                                "csrf_token": token(theirs)})
    assert refused.status_code == 401
    # a link for a deactivated login is neither made nor usable
    made = post(as_staff, f"{page}/link", {}, page=page)
    assert made.status_code == 302
    assert "Ota se ensin takaisin käyttöön" in as_staff.get(page).get_data(as_text=True)
    post(as_staff, f"{page}/reactivate", {}, page=page)
    login(theirs, "prov@example.test")
    assert theirs.get("/admin/events").status_code == 200


def test_staff_cannot_lock_themselves_or_everyone_out(app: Flask, db: DbSession, as_staff: Any) -> None:
    me = _user(db, "staff@example.test")
    page = f"/admin/users/{me.id}"
    post(as_staff, f"{page}/deactivate", {}, page=page)
    assert "Et voi poistaa omaa tunnustasi käytöstä." in as_staff.get(page).get_data(as_text=True)
    prov = f.provider(db)
    db.commit()
    resp = post(as_staff, page, {"role": "provider", "provider_id": str(prov.id)}, page=page)
    assert resp.status_code == 400 and "Et voi muuttaa omaa rooliasi." in resp.get_data(as_text=True)
    assert _user(db, "staff@example.test").active and me.role == UserRole.STAFF
    # the last active staff login stays, whoever asks
    other = staff(db, "toinen@example.test")
    set_active(db, other, False, me)
    with pytest.raises(UserError, match="last_staff"):
        set_active(db, me, False, other)
    db.rollback()


def test_a_role_change_ends_the_sessions_and_providers_cannot_manage_users(
        app: Flask, db: DbSession, as_staff: Any) -> None:
    user, theirs = _provider_logged_in(app, db)
    assert theirs.get("/admin/users").status_code == 403
    assert theirs.get(f"/admin/users/{user.id}").status_code == 403
    page = f"/admin/users/{user.id}"
    resp = post(as_staff, page, {"role": "staff", "provider_id": "0"}, page=page)
    assert resp.status_code == 302
    changed = _user(db, "prov@example.test")
    assert changed.role == UserRole.STAFF and changed.provider_id is None
    assert theirs.get("/admin/events").status_code == 302  # log in again to see more


def test_the_root_url_leads_to_the_admin(client: Any) -> None:
    resp = client.get("/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/")


def test_lampio_users_link_prints_a_working_link(app: Flask, db: DbSession) -> None:
    staff(db)
    db.commit()
    runner = app.test_cli_runner()
    out = runner.invoke(args=["users", "link", "--email", "STAFF@example.test"])
    assert out.exit_code == 0, out.output
    link = out.output.splitlines()[0]
    assert link.startswith("https://phone.example.test/admin/password/")
    client = app.test_client()
    assert _set_password(client, link).status_code == 302
    login(client, "staff@example.test", NEW_PASSWORD)
    assert runner.invoke(args=["users", "link", "--email", "nobody@example.test"]).exit_code != 0


def test_user_changes_are_in_the_audit_log(app: Any, db: Any) -> None:
    """Role, deactivation, reactivation, a one-time link and its use: each an entry naming who."""
    from datetime import timedelta

    from admin import resets, users
    from catalogue.models import AuditEntry, UserRole
    from catalogue.timeutil import utcnow
    from sqlalchemy import select

    staff = users.create_user(db, email="boss@example.test", password="x" * 12, role="staff")
    other = users.create_user(db, email="helper@example.test", password="y" * 12, role="staff")
    users.set_role(db, other, UserRole.STAFF, None, staff)  # no change: no entry
    users.set_active(db, other, False, staff)
    users.set_active(db, other, True, staff)
    token, _ = resets.issue(db, other, staff, 24, utcnow())
    resets.use(db, token, "z" * 12, utcnow() + timedelta(minutes=1))
    db.flush()
    entries = db.scalars(select(AuditEntry).where(AuditEntry.object_id == other.id,
                                                  AuditEntry.object_type == "user")
                         .order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["user.create", "user.deactivate", "user.reactivate",
                                           "user.link", "user.password"]
    assert entries[1].actor == "boss@example.test" and entries[1].after == {"active": False}
    assert entries[-1].actor == "helper@example.test"
