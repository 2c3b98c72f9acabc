"""Helpers for the admin tests: users, and logging in through the real form with CSRF on."""
from __future__ import annotations

import re
from typing import Any

import pytest

from sqlalchemy.orm import Session as DbSession

from admin.users import create_user
from catalogue.models import Provider, User

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def staff(db: DbSession, email: str = "staff@example.test") -> User:
    return create_user(db, email=email, password=PASSWORD, role="staff")


def provider_user(db: DbSession, prov: Provider, email: str = "prov@example.test") -> User:
    return create_user(db, email=email, password=PASSWORD, role="provider", provider_id=prov.id)


def token_from(html: str) -> str:
    m = _TOKEN.search(html)
    assert m, "no CSRF token on the page"
    return m.group(1) or m.group(2)


def token(client: Any, url: str = "/admin/login") -> str:
    return token_from(client.get(url).get_data(as_text=True))


def login(client: Any, email: str, password: str = PASSWORD) -> Any:
    resp = client.post("/admin/login", data={"email": email, "password": password,
                                              "csrf_token": token(client)})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    return resp


def post(client: Any, url: str, data: dict[str, Any], page: str | None = None, **kw: Any) -> Any:
    """POST with a valid CSRF token taken from ``page`` (default: the same URL, or the overview)."""
    tok = token(client, page or "/admin/")
    return client.post(url, data={**data, "csrf_token": tok}, **kw)


@pytest.fixture
def as_staff(db: DbSession, client: Any) -> Any:
    """A test client logged in as staff (import the fixture into the test module)."""
    staff(db)
    db.commit()
    login(client, "staff@example.test")
    return client
