"""Provider PINs are stored hashed (werkzeug's salted scrypt), never in clear text.

One place for hashing and checking, so the phone line, the CLI and the demo agree; werkzeug is
imported only when a PIN is actually set or checked, so the call flows load no web framework.
"""
from __future__ import annotations


def hash_pin(pin: str) -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(pin)


def pin_matches(pin_hash: str | None, pin: str) -> bool:
    from werkzeug.security import check_password_hash

    return bool(pin_hash) and check_password_hash(pin_hash or "", pin)
