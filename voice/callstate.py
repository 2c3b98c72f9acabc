"""Where a call's flow state lives between two webhooks.

Most turns (walking the programme, menus) change nothing but the state, so the state travels in
the URL of the next webhook: Twilio posts back to exactly the URL we gave it and signs it, and the
signature (checked on every webhook) covers the URL with its query, so the state cannot be forged
or moved to another call. A turn then needs no database write at all.

A state that holds personal data (a typed phone number: never in a URL) or that is too long for a
comfortable URL is kept in ``call_log.state`` instead, and the URL says so with ``s=db``.
"""
from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Any

from ivr_flows.engine import PRIVATE_DATA

IN_DATABASE = "db"
MAX_TOKEN = 1800  # characters; Twilio's URLs stay well below its limits
# Raw deflate with a small window and little memory: a state is under a kilobyte, and setting up
# zlib's default 32 KiB window costs more than compressing it.
_WBITS, _LEVEL, _MEMLEVEL = -12, 6, 1


def private(state: dict[str, Any]) -> bool:
    """Whether the state holds personal data (``PRIVATE_DATA``), so it must stay on the server."""
    data: Any = state.get("data") or {}
    back = data.get("back") if isinstance(data.get("back"), dict) else {}
    return any(k in data or k in back for k in PRIVATE_DATA)


def pack(state: dict[str, Any]) -> str | None:
    """The state as a URL-safe token, or None when it must stay on the server."""
    if private(state):
        return None
    raw = json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode()
    packer = zlib.compressobj(_LEVEL, zlib.DEFLATED, _WBITS, _MEMLEVEL)
    token = base64.urlsafe_b64encode(packer.compress(raw) + packer.flush()).rstrip(b"=").decode("ascii")
    return token if len(token) <= MAX_TOKEN else None


def unpack(token: str) -> dict[str, Any] | None:
    """The state from a token; None for ``db`` or anything unreadable (then the database)."""
    if not token or token == IN_DATABASE:
        return None
    try:
        raw = zlib.decompress(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)), _WBITS)
        state = json.loads(raw)
    except (ValueError, zlib.error, binascii.Error):
        return None
    return state if isinstance(state, dict) and "call_id" in state else None
