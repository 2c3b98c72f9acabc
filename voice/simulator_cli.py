"""``lampio call``: a phone in the terminal that calls the *running* service over HTTP.

Why a separate layer from ``voice.simulator``: that module knows how Twilio talks (signing, TwiML);
this one knows how a person (or a script) answers, and prints what is said. ``run_call`` is pure —
any transport, any input source — so the tests drive the same loop through the Flask test client
and the benchmark through plain HTTP.
"""
from __future__ import annotations

import re
import threading
import uuid
import wave
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import urlsplit

import click
import requests
from flask import Flask, current_app
from flask.cli import with_appcontext

from ivr_flows import prompts

from .simulator import PlayText, SimulatedCall, Transport, Turn

LANG_KEYS = {"fi": "1", "sv": "2", "en": "3"}
DEFAULT_FROM = "+358912345678"  # a Helsinki landline
DEFAULT_TO = "+358942000000"
SAID, PRESSED, SPOKE = "🔊", "⌨ ", "🗣 "
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
_KEY_IN_TEXT = re.compile(r"(?<![\w.:])([0-9])(?=[.,:;!?]|\s*$)")
_KEYS = re.compile(r"^[0-9*#]+$")

ActionKind = Literal["keys", "silence", "speech", "hangup", "record", "skip", "continue"]


class ServiceUnavailable(click.ClickException):
    """Nothing answers at the base URL: most likely the server is not started."""

    def __init__(self, base_url: str) -> None:
        super().__init__(f"Nothing answers at {base_url}. Is the service running? "
                         "Start it with `python app.py` (or pass --url).")


@dataclass(frozen=True)
class Action:
    """What the caller does next."""

    kind: ActionKind
    value: str = ""


class InputSource(Protocol):
    """Where the caller's answers come from: the keyboard, or a script."""

    def gather(self, turn: Turn, hint: str) -> Action: ...

    def transfer(self, number: str) -> Action: ...

    def record(self) -> Action: ...


def parse_item(item: str) -> Action:
    """One script item: digits (``0-9*#``), ``silence``, ``say:words``, ``hangup``,
    ``skip`` / ``record:PATH`` (for a ``<Record>``)."""
    s = item.strip()
    low = s.lower()
    if _KEYS.match(s):
        return Action("keys", s)
    if low == "silence":
        return Action("silence")
    if low in {"hangup", "h"}:
        return Action("hangup")
    if low == "skip":
        return Action("skip")
    if low.startswith("say:") and s[4:].strip():
        return Action("speech", s[4:].strip())
    if low.startswith("record:") and s[7:].strip():
        return Action("record", s[7:].strip())
    raise ValueError(f"not a script item: {item!r} (use digits, silence, say:words, hangup, "
                     "skip or record:PATH)")


def parse_script(text: str, *, one_per_line: bool = False) -> list[Action]:
    """``--script`` is comma-separated; a ``--script-file`` has one item per line (so speech may
    hold commas); blank lines are skipped."""
    raw = text.splitlines() if one_per_line else text.split(",")
    return [parse_item(x) for x in raw if x.strip()]


class ScriptInputs:
    """Answers from a list; when it runs out the caller hangs up. A transfer ends by itself
    (the person "finishes" at once) without using an item."""

    def __init__(self, actions: Iterable[Action]) -> None:
        self.actions = deque(actions)

    def gather(self, turn: Turn, hint: str) -> Action:
        while self.actions and self.actions[0].kind in {"skip", "record"}:
            self.actions.popleft()  # meant for a <Record> that never came
        return self.actions.popleft() if self.actions else Action("hangup")

    def transfer(self, number: str) -> Action:
        if self.actions and self.actions[0].kind == "hangup":
            return self.actions.popleft()
        return Action("continue")

    def record(self) -> Action:
        if self.actions and self.actions[0].kind in {"skip", "record", "hangup"}:
            return self.actions.popleft()
        return Action("skip")


class KeyboardInputs:
    """Answers typed by a person: keys, an empty line for silence, words for speech, ``h``."""

    def __init__(self, read: Callable[[str], str] = input) -> None:
        self.read = read

    def _line(self, prompt: str) -> str | None:
        try:
            return self.read(prompt)
        except (EOFError, KeyboardInterrupt):
            return None

    def gather(self, turn: Turn, hint: str) -> Action:
        line = self._line(f"{hint}\n> ")
        if line is None or line.strip().lower() in {"h", "hangup"}:
            return Action("hangup")
        s = line.strip()
        if not s:
            return Action("silence")
        return Action("keys", s) if _KEYS.match(s) else Action("speech", s)

    def transfer(self, number: str) -> Action:
        line = self._line("[talk to the person; Enter when they have finished, h to hang up] ")
        return Action("hangup") if line is None or line.strip().lower() == "h" else Action("continue")

    def record(self) -> Action:
        line = self._line("[recording: a file path to send as your recording, or skip] ")
        if line is None or line.strip().lower() in {"h", "hangup"}:
            return Action("hangup")
        s = line.strip()
        return Action("skip") if not s or s.lower() == "skip" else Action("record", s)


@dataclass
class CallResult:
    transcript: list[str] = field(default_factory=list)
    turns: int = 0
    transfers: int = 0
    ended_by: str = ""  # "caller", "service", "error", "limit"
    error: str = ""

    @property
    def text(self) -> str:
        return "\n".join(self.transcript)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def is_language_menu(turn: Turn) -> bool:
    """The first-call language choice: every language's option is heard in one turn."""
    return all(prompts.text(lang, "language.option") in turn.text for lang in prompts.LANGUAGES)


def expected_keys(turn: Turn) -> str:
    """A one-line hint from the ``<Gather>`` and the keys its prompts mention."""
    g = turn.gather
    if g is None:
        return ""
    keys = list(dict.fromkeys(_KEY_IN_TEXT.findall(turn.text)))
    parts = [f"keys heard: {' '.join(keys)}" if keys else "keys"]
    if g.get("finishOnKey") == "#" and not g.get("numDigits"):
        parts.append("digits then #")
    elif g.get("numDigits"):
        parts.append(f"{g.get('numDigits')} key(s)")
    parts.append("* repeats · 0 a person")
    if "speech" in (g.get("input") or ""):
        parts.append("or type words")
    parts.append(f"Enter = silence ({g.get('timeout', '5')} s) · h = hang up")
    return "[" + " · ".join(parts) + "]"


def _wav_seconds(path: Path) -> int:
    try:
        with wave.open(str(path)) as w:
            return max(1, round(w.getnframes() / float(w.getframerate())))
    except (wave.Error, OSError, EOFError, ZeroDivisionError):
        return 0


class RecordingServer:
    """Serves one local file on loopback for the duration of a call, as Twilio serves a
    ``RecordingUrl`` (the service must allow 127.0.0.1 as a recording host to fetch it)."""

    def __init__(self, path: Path) -> None:
        data = path.read_bytes()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                self.send_response(200)
                self.send_header("Content-Type", "audio/wav" if path.suffix == ".wav" else "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_DELETE(self) -> None:  # noqa: N802 - the service deletes it after fetching
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        ext = path.suffix or ".wav"
        self.url = (f"http://127.0.0.1:{self.server.server_port}/2010-04-01/Accounts/AC{'0' * 32}"
                    f"/Recordings/RE{uuid.uuid4().hex}{ext}")
        self.seconds = _wav_seconds(path)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def run_call(call: SimulatedCall, inputs: InputSource, *, lang: str | None = None,
             entry: str = "/voice/incoming", echo: Callable[[str], None] | None = None,
             max_turns: int = 300) -> CallResult:
    """Play one call to its end as Twilio would, and return the transcript.

    Ends with the status callback whether the caller or the service hangs up. ``lang`` presses
    the language key when the first-call language menu is heard.
    """
    result = CallResult()
    servers: list[RecordingServer] = []

    def out(line: str) -> None:
        result.transcript.append(line)
        if echo:
            echo(line)

    def post(fn: Callable[[], Turn]) -> Turn:
        result.turns += 1
        turn = fn()
        for said in turn.said:
            for sentence in sentences(said):
                out(f"{SAID} {sentence}")
        return turn

    def hang_up(by: str) -> None:
        out("[caller hangs up]" if by == "caller" else "[the service ended the call]")
        result.turns += 1
        call.hang_up()
        result.ended_by = by

    auto_lang = lang
    try:
        turn = post(lambda: call.call(entry))
        while True:
            if turn.status >= 300 or turn.root is None:
                result.error = f"HTTP {turn.status}" + (
                    ": the service refused the signature (is TWILIO_AUTH_TOKEN / PUBLIC_BASE_URL the "
                    "same as the server's?)" if turn.status == 403 else
                    "" if turn.status >= 300 else ": the answer was not TwiML")
                out(f"[error: {result.error}]")
                result.ended_by = "error"
                return result
            if result.turns >= max_turns:
                hang_up("caller")
                result.ended_by = "limit"
                return result
            if turn.gather is not None:
                if auto_lang and is_language_menu(turn):
                    key = LANG_KEYS[auto_lang]
                    auto_lang = None
                    out(f"{PRESSED} {key}   (--lang)")
                    turn = post(lambda: call.press(key))
                    continue
                action = inputs.gather(turn, expected_keys(turn))
                if action.kind == "keys":
                    out(f"{PRESSED} {action.value}")
                    turn = post(lambda: call.press(action.value))
                elif action.kind == "speech":
                    out(f"{SPOKE} \"{action.value}\"")
                    turn = post(lambda: call.say(action.value))
                elif action.kind == "silence":
                    out("[silence]")
                    turn = post(call.silence)
                else:
                    hang_up("caller")
                    return result
            elif turn.dial is not None:
                number = "".join(turn.dial.itertext()).strip() or "?"
                result.transfers += 1
                out(f"[transferring to {number} …]")
                if inputs.transfer(number).kind == "hangup":
                    hang_up("caller")
                    return result
                out("[the person has finished]")
                turn = post(call.dial_ended)
            elif turn.record is not None:
                out("[recording after the beep]")
                action = inputs.record()
                if action.kind == "hangup":
                    hang_up("caller")
                    return result
                if action.kind == "record" and Path(action.value).is_file():
                    server = RecordingServer(Path(action.value))
                    servers.append(server)
                    out(f"[recorded {action.value}]")
                    turn = post(lambda: call.recorded(server.url, server.seconds))
                else:
                    if action.kind == "record":
                        out(f"[no such file: {action.value}; nothing recorded]")
                    else:
                        out("[nothing recorded]")
                    turn = post(call.silence)  # Twilio falls through to the <Redirect>
            elif turn.hangs_up:
                hang_up("service")
                return result
            elif call.timeout_action:
                turn = post(call.silence)  # a bare <Redirect>: Twilio follows it at once
            else:
                hang_up("service")  # TwiML ran out: Twilio ends the call
                return result
    finally:
        for server in servers:
            server.close()


# -- HTTP ------------------------------------------------------------------------------------

def http_transport(base_url: str, session: requests.Session | None = None,
                   timeout: float = 30.0) -> Transport:
    """Form posts to the running service, the way Twilio sends them."""
    base = base_url.rstrip("/")
    http = session or requests.Session()

    def send(path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        try:
            resp = http.post(base + path, data=form, headers=headers, timeout=timeout,
                             allow_redirects=False)
        except requests.ConnectionError as exc:
            raise ServiceUnavailable(base) from exc
        return resp.status_code, resp.text

    return send


def sidecar_reader(base_url: str, public_base: str, session: requests.Session | None = None,
                   timeout: float = 5.0) -> PlayText:
    """What a ``<Play>`` says: the audio cache writes ``<name>.json`` with ``text`` next to each
    file. A URL on the public host is read from the local server; a missing sidecar is fine."""
    base, public = base_url.rstrip("/"), public_base.rstrip("/")
    http = session or requests.Session()
    seen: dict[str, str | None] = {}

    def read(url: str) -> str | None:
        if url in seen:
            return seen[url]
        local = url
        for prefix in {public, base} - {""}:
            if url.startswith(prefix):
                local = base + url[len(prefix):]
        if local.startswith("/"):
            local = base + local
        parts = urlsplit(local)
        head, _, last = parts.path.rpartition("/")
        stem = last.rsplit(".", 1)[0] if "." in last else last
        sidecar = parts._replace(path=f"{head}/{stem}.json", query="").geturl()
        text: str | None = None
        try:
            resp = http.get(sidecar, timeout=timeout)
            if resp.ok:
                value = resp.json().get("text")
                text = value.strip() if isinstance(value, str) and value.strip() else None
        except (requests.RequestException, ValueError, AttributeError):
            text = None
        seen[url] = text
        return text

    return read


def http_call(base_url: str, auth_token: str, *, public_base: str = "",
              from_number: str = DEFAULT_FROM, to_number: str = DEFAULT_TO,
              session: requests.Session | None = None, play_text: bool = True,
              timeout: float = 30.0) -> SimulatedCall:
    """A ``SimulatedCall`` over HTTP to ``base_url``, signed for ``public_base`` (the URL Twilio
    would use; defaults to ``base_url``)."""
    http = session or requests.Session()
    sign_base = (public_base or base_url).rstrip("/")
    reader = sidecar_reader(base_url, sign_base, http) if play_text else None
    return SimulatedCall(http_transport(base_url, http, timeout), auth_token, sign_base,
                         from_number=from_number, to_number=to_number, play_text=reader)


# -- the command -----------------------------------------------------------------------------

@click.command("call")
@click.option("--from", "from_number", default=DEFAULT_FROM, show_default=True,
              help="The caller's number (E.164). A new number hears the language menu.")
@click.option("--to", "to_number", default=None,
              help="The number called (default: the service's; the provider line with --provider).")
@click.option("--lang", type=click.Choice(sorted(LANG_KEYS)), default=None,
              help="Press this language's key when the language menu is heard.")
@click.option("--url", "base_url", default=None,
              help="The running service (default http://127.0.0.1:$PORT).")
@click.option("--script", default=None,
              help='Inputs to play, comma-separated: digits, silence, say:words, hangup '
                   '(e.g. "1,3,3,*,0").')
@click.option("--script-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Inputs to play, one per line.")
@click.option("--provider", is_flag=True, help="Call the provider recording line.")
@with_appcontext
def call_command(from_number: str, to_number: str | None, lang: str | None, base_url: str | None,
                 script: str | None, script_file: Path | None, provider: bool) -> None:
    """Call the running service from the terminal, exactly as Twilio would.

    Type keys (digits, * and #), an empty line for silence, words for speech, h to hang up.
    """
    cfg = current_app.config
    base = (base_url or f"http://127.0.0.1:{cfg['PORT']}").rstrip("/")
    if script is not None and script_file is not None:
        raise click.UsageError("use --script or --script-file, not both")
    try:
        actions = (parse_script(script) if script is not None else
                   parse_script(script_file.read_text(), one_per_line=True) if script_file else None)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    to = to_number or (cfg.get("TWILIO_PROVIDER_NUMBER") if provider else "") or DEFAULT_TO
    call = http_call(base, cfg["TWILIO_AUTH_TOKEN"], public_base=cfg.get("PUBLIC_BASE_URL") or "",
                     from_number=from_number, to_number=to)
    inputs: InputSource = ScriptInputs(actions) if actions is not None else KeyboardInputs()
    click.echo(f"📞 calling {base} from {from_number}" + (" (provider line)" if provider else ""))
    result = run_call(call, inputs, lang=lang, echo=click.echo,
                      entry="/voice/provider/incoming" if provider else "/voice/incoming")
    click.echo(f"📴 call ended: {result.turns} requests, {result.transfers} transfer(s)")
    if result.error:
        raise click.exceptions.Exit(1)


def init_app(app: Flask) -> None:
    app.cli.add_command(call_command)
