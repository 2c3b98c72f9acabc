"""``lampio assistant``: the whole service hands-free on one machine, offline.

The call is the phone simulator's (``run_call`` over the same signed webhooks, in-process
through Flask's test client: no server, no network) with the assistant's ears and voice: the
``Speaker`` says each turn (cached audio, espeak-ng for the rest), ``AssistantInputs`` listens
with Vosk restricted to the menu's grammar, or takes keys. The call log has its own channel
(``call_log.line = "assistant"``).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from audio.service import AudioService
from audio.transcribe import parse_models
from ivr_flows import prompts
from ivr_flows.matching import normalise

from .assistant_inputs import AssistantInputs, Answers, FolderAnswers, LiveAnswers
from .assistant_speaker import Player, SoxPlayer, Speaker
from .recognition import SpeechModel, SpeechModels, check_models
from .simulator import SimulatedCall, Transport, Turn
from .simulator_inputs import Action
from .simulator_http import DEFAULT_FROM, DEFAULT_TO
from .simulator_run import LANG_KEYS, CallResult, run_call
from .twiml import SPEECH_LANG

ENTRY = "/voice/assistant/incoming"


class AssistantCall(SimulatedCall):
    """A simulated call whose every answered turn is spoken by ``speaker``."""

    def __init__(self, transport: Transport, auth_token: str, base_url: str, speaker: Speaker,
                 **kwargs: Any) -> None:
        super().__init__(transport, auth_token, base_url, **kwargs)
        self.speaker = speaker

    def land(self, turn: Turn) -> Turn:
        turn = super().land(turn)
        if turn.root is not None:
            self.speaker.speak(turn.root)
        return turn


def in_process(base_url: str) -> Transport:
    """The app's own webhooks, called in this process (as the tests' phone does)."""
    client = current_app.test_client()

    def send(path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        resp = client.post(path, data=form, headers=headers, base_url=base_url)
        return resp.status_code, resp.get_data(as_text=True)

    return send


def model_chooser(models: SpeechModels, explicit: SpeechModel | None
                  ) -> Callable[[str], SpeechModel | None]:
    """``--model`` drives every language by its digits; else the language's own model."""
    return (lambda lang: explicit) if explicit is not None else models.get


def run_assistant(*, from_number: str, lang: str, answers: Answers, out_dir: Path | None,
                  choose: Callable[[str], SpeechModel | None], player: Player | None = None,
                  wake: str | None = None, echo: Callable[[str], None] = click.echo) -> tuple[CallResult, AssistantInputs,
                                                                       Speaker]:
    """One assistant call to its end (the tests and the benchmark call this too)."""
    cfg = current_app.config
    audio: AudioService | None = current_app.extensions.get("lampio_audio")
    base = (cfg.get("PUBLIC_BASE_URL") or "http://localhost").rstrip("/")
    speaker = Speaker(audio, out_dir, player, play_text=audio.play_text if audio else None)
    call = AssistantCall(in_process(base), cfg["TWILIO_AUTH_TOKEN"], base, speaker,
                         from_number=from_number, to_number=DEFAULT_TO,
                         play_text=audio.play_text if audio else None)
    told: set[str] = set()

    def no_model(turn_lang: str) -> None:
        """Keys only in a language without a model: said once, before the first answer."""
        if turn_lang not in told:
            told.add(turn_lang)
            echo(f"[no speech model for {turn_lang}: keys only]")
            say("assistant.keys_only", turn_lang)

    def say(key: str, turn_lang: str) -> None:
        notice = prompts.segments(turn_lang, key)
        for seg in notice:
            echo(f"🔊 {seg.text}")
        speaker.speak(None, extra=[speaker.sentence(seg.text, turn_lang) for seg in notice])

    inputs = AssistantInputs(answers, choose, lang, echo, out_dir, no_model,
                             turn_no=lambda: speaker.turn_no,
                             room_notice=lambda turn_lang: say("assistant.room_by_phone", turn_lang))
    if wake is not None or isinstance(answers, LiveAnswers):
        if not wait_to_start(answers, speaker, choose(lang), wake, lang, echo):
            return CallResult(ended_by="caller"), inputs, speaker
    result = run_call(call, inputs, lang=lang, entry=ENTRY, echo=echo)
    if out_dir is not None:
        (out_dir / "transcript.txt").write_text(result.text + "\n", encoding="utf-8")
    return result, inputs, speaker


def wait_to_start(answers: Answers, speaker: Speaker, model: SpeechModel | None,
                  wake: str | None, lang: str, echo: Callable[[str], None]) -> bool:
    """The wake word (heard among the model's digit words, so not every sound is it) or a key
    starts the call; False when the answers ran out first."""
    text = prompts.text(lang, "assistant.wake", word=wake or "Enter")
    echo(f"🔊 {text}")
    speaker.speak(None, extra=[speaker.sentence(text, lang)])
    if wake is None or model is None:
        if isinstance(answers, LiveAnswers):
            got = answers.listen(None, 0)
            return not isinstance(got, Action) or got.kind != "hangup"
        return True
    rec = model.recogniser(model.phrases([wake], lang))
    while True:
        got = answers.listen(rec, 30.0)
        if isinstance(got, Action):
            return got.kind != "hangup"
        echo(f"[heard] {got.text}")
        if normalise(wake) in got.text.split():
            return True
        rec.reset()


@click.command("assistant")
@click.option("--from", "from_number", default=DEFAULT_FROM, show_default=True,
              help="The number of the person at home (their registrations and calls).")
@click.option("--lang", type=click.Choice(sorted(LANG_KEYS)), default="fi", show_default=True,
              help="The service's language (chosen at the language menu of a first call).")
@click.option("--model", "model_path", type=click.Path(exists=True, file_okay=False),
              default=None, help="A Vosk model folder for every language (by its digit words).")
@click.option("--model-lang", default=None,
              help="The language of --model (default: --lang), e.g. ko.")
@click.option("--input", "input_path", type=click.Path(exists=True, path_type=Path),
              default=None, help="Answers from files: one audio file, or a folder (one per turn, "
                                 "in name order; .txt files are typed keys).")
@click.option("--output", "output_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Write what it said per turn (NN-said.wav, NN-said.txt), what "
                                 "it heard (NN-heard.txt) and transcript.txt here.")
@click.option("--wake", default=None, help="A wake word that starts the call, in the model's "
                                           "language (default: Enter; with --input: the first "
                                           "answers until it is heard).")
@click.option("--keys", "keys_only", is_flag=True, help="Keys only: no speech recognition.")
@with_appcontext
def assistant_command(from_number: str, lang: str, model_path: str | None,
                      model_lang: str | None, input_path: Path | None, output_dir: Path | None,
                      wake: str | None, keys_only: bool) -> None:
    """The service hands-free: it speaks, listens (Vosk) and understands the same words as
    the phone; keys typed on the keyboard always work."""
    if model_lang and not model_path:
        raise click.UsageError("--model-lang needs --model")
    explicit = None
    try:
        models = SpeechModels({} if keys_only else parse_models(current_app.config["VOSK_MODELS"]))
        if model_path and not keys_only:
            check_models({model_lang or lang: model_path})
            explicit = SpeechModel(model_lang or lang, model_path)
    except ValueError as exc:
        raise click.UsageError(f"--model: {exc}") from None
    choose = model_chooser(models, explicit)
    if wake and (choose(lang) is None or not choose(lang).known(wake)):  # type: ignore[union-attr]
        raise click.UsageError(f"--wake: the model for {lang} does not know {wake!r}")
    current_app.config["LAMPIO_NO_BACKGROUND"] = True  # its in-process calls start no jobs
    player: Player | None = None
    answers: Answers
    if input_path is not None:
        answers = FolderAnswers(input_path)
    else:
        answers = LiveAnswers()
        try:
            player = SoxPlayer()
        except RuntimeError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"🎙 the assistant ({SPEECH_LANG[lang]}" + (f", model {explicit.lang}"
               if explicit else "") + ")")
    result, _, _ = run_assistant(from_number=from_number, lang=lang, answers=answers,
                                 out_dir=output_dir, choose=choose, player=player, wake=wake)
    click.echo(f"📴 call ended: {result.turns} requests")
    if result.error:
        raise click.exceptions.Exit(1)




def init_app(app: Flask) -> None:
    app.cli.add_command(assistant_command)
