"""``lampio call``: a phone in the terminal that calls the *running* service over HTTP.

Why a separate layer from ``voice.simulator``: that module knows how Twilio talks (signing, TwiML);
this layer knows how a person (or a script) answers, and prints what is said. It is split by job:
``simulator_inputs`` (keyboard and script answers), ``simulator_run`` (``run_call``, the pure call
loop the tests drive through the Flask test client) and ``simulator_http`` (the transport to the
running service, used by the benchmark too). This module is the command, and re-exports their
public names so existing imports keep working.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .sim_store import SimRooms
from .simulator_http import (DEFAULT_FROM, DEFAULT_TO, RecordingServer, ServiceUnavailable,
                             http_call, http_transport, sidecar_reader)
from .simulator_inputs import (Action, ActionKind, InputSource, KeyboardInputs, ScriptInputs,
                               parse_item, parse_script)
from .simulator_run import (LANG_KEYS, CallResult, expected_keys, is_language_menu, run_call,
                            sentences)

__all__ = [
    "DEFAULT_FROM", "DEFAULT_TO", "LANG_KEYS", "Action", "ActionKind", "CallResult", "InputSource",
    "KeyboardInputs", "RecordingServer", "ScriptInputs", "ServiceUnavailable", "call_command",
    "expected_keys", "http_call", "http_transport", "init_app", "is_language_menu", "parse_item",
    "parse_script", "run_call", "sentences", "sidecar_reader",
]


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
@click.option("--answer", is_flag=True,
              help="Answer the next call the service placed to the --from number instead.")
@click.option("--machine", is_flag=True, help="With --answer: an answering machine picks up.")
@with_appcontext
def call_command(from_number: str, to_number: str | None, lang: str | None, base_url: str | None,
                 script: str | None, script_file: Path | None, provider: bool, answer: bool = False,
                 machine: bool = False) -> None:
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
    inputs: InputSource = ScriptInputs(actions) if actions is not None else KeyboardInputs()
    if answer:
        _answer(base, from_number, inputs, machine)
        return
    to = to_number or (cfg.get("TWILIO_PROVIDER_NUMBER") if provider else "") or DEFAULT_TO
    call = http_call(base, cfg["TWILIO_AUTH_TOKEN"], public_base=cfg.get("PUBLIC_BASE_URL") or "",
                     from_number=from_number, to_number=to, rooms=shared_rooms())
    click.echo(f"📞 calling {base} from {from_number}" + (" (provider line)" if provider else ""))
    result = run_call(call, inputs, lang=lang, echo=click.echo,
                      entry="/voice/provider/incoming" if provider else "/voice/incoming")
    click.echo(f"📴 call ended: {result.turns} requests, {result.transfers} transfer(s)")
    if result.error:
        raise click.exceptions.Exit(1)


def _answer(base: str, number: str, inputs: InputSource, machine: bool) -> None:
    """Pick up the next call placed to ``number`` (by the simulated Twilio client)."""
    from catalogue.callers import normalise

    from .simulator_answer import AnsweredCall
    from .twilio_sim import SimulatedTwilio

    cfg = current_app.config
    placed = SimulatedTwilio.for_app(current_app).store.take_next(normalise(number) or number)
    if placed is None:
        raise click.ClickException(
            f"No call is waiting for {number}. The service places calls with `lampio calls run` "
            "(or its scheduler, every minute) when one is due, outside quiet hours.")
    sign_base = (cfg.get("PUBLIC_BASE_URL") or base).rstrip("/")
    call = AnsweredCall(http_transport(base), cfg["TWILIO_AUTH_TOKEN"], sign_base, placed,
                        answered_by="machine_end_beep" if machine else "human",
                        play_text=sidecar_reader(base, sign_base), rooms=shared_rooms())
    click.echo(f"📞 {placed['from']} is calling {placed['to']}: answering")
    result = run_call(call, inputs, echo=click.echo)
    click.echo(f"📴 call ended: {result.turns} requests")
    if result.error:
        raise click.exceptions.Exit(1)


def shared_rooms() -> SimRooms:
    """The rooms every ``lampio call`` and the server's simulated REST client share (a file in
    the app's instance folder), so two terminals meet in one room."""
    return SimRooms.in_folder(current_app.instance_path)


def init_app(app: Flask) -> None:
    app.cli.add_command(call_command)
