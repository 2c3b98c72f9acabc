"""Where a call's flow state lives between two webhooks.

Most turns (walking the programme, menus) change nothing but the state, so the state travels in
the URL of the next webhook: Twilio posts back to exactly the URL we gave it and signs it, and the
signature (checked on every webhook) covers the URL with its query, so the state cannot be forged
or moved to another call. A turn then needs no database write at all.

The call's own part (its record's id, the caller's id, the fingerprint of CallSid and number)
travels beside it as ``w=`` (``who``), so that the token itself is the same for every caller at
the same place in the same flow: ``voice.turn_memo`` answers such a turn once for all of them.

A state that holds personal data (a typed phone number: never in a URL) or that is too long for a
comfortable URL is kept in ``call_log.state`` instead, and the URL says so with ``s=db``.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zlib
from functools import cache
from typing import Any

from ivr_flows import prompts
from ivr_flows.engine import PRIVATE_DATA

IN_DATABASE = "db"
WHO = ("call_id", "caller_id", "fp", "at", "np")  # the call's own part, in ``w=``, not the token
MAX_TOKEN = 1800  # characters; Twilio's URLs stay well below its limits
# Raw deflate with a small window and little memory: a state is under a kilobyte, and setting up
# zlib's default 32 KiB window costs more than compressing it.
_WBITS, _LEVEL, _MEMLEVEL = -12, 6, 1


def private(state: dict[str, Any]) -> bool:
    """Whether the state holds personal data (``PRIVATE_DATA``), so it must stay on the server."""
    data: Any = state.get("data") or {}
    back = data.get("back") if isinstance(data.get("back"), dict) else {}
    return any(k in data or k in back for k in PRIVATE_DATA)


@cache
def _fixed() -> tuple[list[tuple[str, str]], dict[tuple[str, str], int], str]:
    """Every fixed prompt sentence of every language, numbered, and a digest of the list: what
    was said last (``last``, for * to repeat) is mostly such sentences, and a number in the
    token instead of the sentence shortens it (a menu's token to a third, an item's by a
    quarter), and so the URL Twilio signs and the TwiML that carries it twice."""
    texts = [(lang, text) for lang in prompts.LANGUAGES
             for text in prompts.all_fixed_prompts(lang)]
    digest = hashlib.sha256("\n".join(f"{lang}:{text}" for lang, text in texts).encode())
    return texts, {pair: i for i, pair in enumerate(texts)}, digest.hexdigest()[:8]


def _compact_last(state: dict[str, Any]) -> dict[str, Any]:
    """``last`` with fixed sentences as their numbers and other plain sentences in the call's
    language as bare text; the prompts' digest (``pv``) says which numbering."""
    _, index, version = _fixed()
    lang, out = state.get("lang"), []
    for seg in state["last"]:
        text, seg_lang, pause, path = seg
        if not pause and path is None:
            number = index.get((seg_lang, text))
            if number is not None:
                out.append(number)
                continue
            if seg_lang == lang:
                out.append(text)
                continue
        out.append(seg)
    return {**state, "last": out, "pv": version}


def _expand_last(state: dict[str, Any]) -> dict[str, Any]:
    """The inverse; a token numbered by other prompts (a deploy changed them mid-call) loses
    only ``last``: * then says the current menu's choices instead."""
    texts, _, version = _fixed()
    if state.pop("pv", None) != version:
        state.pop("last", None)
        return state
    lang, out = state.get("lang"), []
    for seg in state["last"]:
        if isinstance(seg, int):
            if not 0 <= seg < len(texts):
                state.pop("last")
                return state
            seg_lang, text = texts[seg]
            out.append([text, seg_lang, 0.0, None])
        elif isinstance(seg, str):
            out.append([seg, lang, 0.0, None])
        else:
            out.append(seg)
    state["last"] = out
    return state


def pack(state: dict[str, Any]) -> str | None:
    """The state without the call's own part (``who``) as a URL-safe token, or None when it
    must stay on the server."""
    if private(state):
        return None
    state = {k: v for k, v in state.items() if k not in WHO}
    if state.get("last"):
        state = _compact_last(state)
    raw = json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode()
    packer = zlib.compressobj(_LEVEL, zlib.DEFLATED, _WBITS, _MEMLEVEL)
    token = base64.urlsafe_b64encode(packer.compress(raw) + packer.flush()).rstrip(b"=").decode("ascii")
    return token if len(token) <= MAX_TOKEN else None


def who(state: dict[str, Any]) -> str:
    """The call's own part as ``call.caller.fp``: digits and letters, no phone number (the
    fingerprint is a keyed digest). ``call`` is the record's id, or ``t`` and the call's start
    in epoch seconds while its record waits for the batch (``at``); ``caller`` is the person's
    id, ``n`` for none, ``p`` for a new number whose row waits too (``np``); an absent key is
    empty."""
    call = state.get("call_id") or (f"t{state['at']}" if state.get("at") else "")
    caller = "p" if state.get("np") else state.get("caller_id", "")
    return f"{call}.{'n' if caller is None else caller}.{state.get('fp', '')}"


def who_fields(text: str) -> dict[str, Any] | None:
    """``who``'s fields back, or None when the text is not one."""
    parts = text.split(".")
    if len(parts) != 3:
        return None
    call, caller, fp = parts
    out: dict[str, Any] = {}
    if call.isdigit() and len(call) <= 18:
        out["call_id"] = int(call)
    elif call[:1] == "t" and call[1:].isdigit() and len(call) <= 12:
        out["at"] = int(call[1:])
    else:
        return None
    if caller == "n":
        out["caller_id"] = None
    elif caller == "p":
        out["np"] = 1
    elif caller.isdigit() and len(caller) <= 18:
        out["caller_id"] = int(caller)
    elif caller:
        return None
    if fp:
        out["fp"] = fp
    return out


def read(token: str) -> dict[str, Any] | None:
    """The shared part of a state from its token (the language, for the fallback), or None for
    ``db`` or anything unreadable."""
    if not token or token == IN_DATABASE:
        return None
    try:
        raw = zlib.decompress(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)), _WBITS)
        state = json.loads(raw)
    except (ValueError, zlib.error, binascii.Error):
        return None
    if not isinstance(state, dict):
        return None
    return _expand_last(state) if state.get("last") else state


def unpack(token: str, who_text: str = "") -> dict[str, Any] | None:
    """The whole state from a token and its ``w=``; None for ``db`` or anything unreadable
    (then the database). A token of an earlier release holds the call's part itself."""
    state = read(token)
    if state is None:
        return None
    if who_text:
        own = who_fields(who_text)
        if own is None:
            return None
        state.update(own)
    return state if "call_id" in state or "at" in state else None
