"""The browser phone (``/admin/phone``): staff and providers call the real line from the page.

The page never signs a webhook: it posts the caller's acts here as JSON, and the phone channel's
``BrowserPhone`` (``app.extensions["lampio_browser_phone"]``, so the admin does not import the
phone channel) posts them to the ``/voice`` webhooks signed with the auth token, exactly as the
terminal simulator does, and answers with what the caller hears and what the call waits for.

Who may call from which number: everyone from the demo callers and (for a provider) the
provider's own phone; staff also from any number they type. A provider cannot type a number:
"my registrations" would read out a stranger's places.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, jsonify, render_template, request
from werkzeug.wrappers import Response

from catalogue.callers import normalise
from catalogue.demo import load_data
from catalogue.languages import LANGUAGES
from . import access
from .i18n import t

OWN = "own"


def _phone() -> Any:
    return current_app.extensions["lampio_browser_phone"]


def demo_callers() -> list[dict[str, str]]:
    """The demo programme's made-up callers (their numbers, language and name)."""
    return [{"phone": c["phone"], "language": c["language"], "name": c.get("name") or ""}
            for c in load_data()["callers"]]


def own_number() -> str | None:
    """A provider's registered phone (their provider's), which the provider line knows."""
    u = access.user()
    return None if u.is_staff or u.provider is None else (u.provider.phone or None)


def page() -> str:
    speech = _phone().speech
    return render_template("admin/phone.html", callers=demo_callers(), own=own_number(),
                           staff=access.user().is_staff, languages=LANGUAGES,
                           models=[m for m in speech.languages() if m not in LANGUAGES],
                           own_models=[t(f"lang.{m}") for m in LANGUAGES if speech.model_for(m)])


def _base() -> str:
    """The URL the webhooks are signed for: what Twilio would call."""
    return str(current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")


def _fail(code: str, field: str = "", status: int = 400) -> tuple[Response, int]:
    return jsonify({"error": code, "message": t(f"phone.err_{code}"), "field": field}), status


def _answer(result: dict[str, Any]) -> Response:
    if result.get("error"):
        result["message"] = t(f"phone.err_{result['error']}")
    return jsonify(result)


def _caller_number(choice: str, typed: str) -> str | None:
    if choice.startswith("demo:"):
        numbers = [c["phone"] for c in demo_callers()]
        return choice[5:] if choice[5:] in numbers else None
    if choice == OWN:
        if access.user().is_staff:
            return normalise(typed)
        return own_number()
    return None


def _run(step: Callable[[], dict[str, Any]]) -> Response | tuple[Response, int]:
    """The phone's refusals (``PhoneError``: a ValueError with a ``code``) become a readable
    message; anything else is a real fault and goes to the error handler."""
    try:
        return _answer(step())
    except ValueError as exc:
        code = getattr(exc, "code", None)
        if code is None:
            raise
        return _fail(str(code), status=409 if code in {"ended", "not_now"} else 400)


def dial() -> Response | tuple[Response, int]:
    data = request.get_json(silent=True) or {}
    choice, typed = str(data.get("from") or ""), str(data.get("number") or "")
    number = _caller_number(choice, typed)
    if number is None:
        if choice == OWN:
            return _fail("bad_number" if access.user().is_staff else "no_own_number", "number")
        return _fail("bad_from", "from")
    line, lang = str(data.get("line") or "service"), str(data.get("lang") or "")
    model = str(data.get("model") or "")
    return _run(lambda: _phone().start(user=access.user().id, from_number=number, line=line,
                                       lang=lang, base=_base(), model_lang=model))


def step() -> Response | tuple[Response, int]:
    # JSON from the page's script; a form from its beacon when the page is closed mid-call
    data = request.get_json(silent=True) or request.form.to_dict()
    token, action = str(data.get("token") or ""), str(data.get("action") or "")
    value = str(data.get("value") or "")
    return _run(lambda: _phone().step(token, access.user().id, action, value, base=_base()))


SPEECH_MAX_BYTES = 4 << 20  # a few seconds of any browser's audio fit many times over


def speech() -> Response | tuple[Response, int]:
    """Hold-to-speak: the recording is recognised on the server (Vosk, with the menu's words)
    and posted to the webhook as the caller's words."""
    upload = request.files.get("audio")
    token = str(request.form.get("token") or "")
    if upload is None:
        return _fail("bad_audio")
    data = upload.read(SPEECH_MAX_BYTES + 1)
    if not data or len(data) > SPEECH_MAX_BYTES:
        return _fail("bad_audio")
    return _run(lambda: _phone().speak(token, access.user().id, data, base=_base()))
