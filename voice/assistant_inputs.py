"""How the voice assistant hears its person: Vosk restricted to the menu's grammar, on answers
from files or from the microphone, with keys typed on the keyboard as the fallback.

It is an ``InputSource`` of the simulator's call loop (``voice.simulator_run.run_call``), so
the assistant's call is the same call as the terminal phone's: what is heard becomes a key or
words posted to the same webhooks. Nothing heard is silence, and something heard that names no
choice is an answer the menu does not know: the flows' own rules follow, as on the phone.
"""
from __future__ import annotations

import os
import select
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol, TextIO

from audio.storage import AudioError, to_pcm

from .assistant_speaker import SAY_LANG
from .recognition import MODEL_RATE, CallRecogniser, Heard, SpeechModel, answer_of
from .simulator import Turn
from .simulator_inputs import Action, RoomPoll, parse_item, typed_action

AUDIO_SUFFIXES = {".wav", ".mp3", ".ogg", ".oga", ".opus", ".flac", ".m4a", ".webm"}
CHUNK = MODEL_RATE // 10 * 2  # a tenth of a second of 16-bit samples
Heard_or_typed = Heard | Action


def hear(rec: CallRecogniser, pcm: bytes) -> Heard:
    """A whole recorded answer: every utterance Vosk ended in it, then the rest."""
    parts = [h for i in range(0, len(pcm), CHUNK) if (h := rec.accept_pcm16(pcm[i:i + CHUNK]))]
    parts.append(rec.finish())
    parts = [p for p in parts if p.text]
    if not parts:
        return Heard()
    return Heard(text=" ".join(p.text for p in parts), confidence=min(p.confidence for p in parts),
                 words=tuple(w for p in parts for w in p.words))


class Answers(Protocol):
    """Where the answers come from: ``listen`` gives what was heard (empty: silence) or what
    was typed; ``rec`` is None where the turn takes keys only."""

    def listen(self, rec: CallRecogniser | None, timeout: float) -> Heard_or_typed: ...


class FolderAnswers:
    """``--input``: one answer per turn, in name order: an audio file is a spoken answer, a
    ``.txt`` file what would be typed (a script item: digits, silence, say:words, hangup)."""

    def __init__(self, path: Path) -> None:
        files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        self.files = deque(p for p in files if p.suffix.lower() in AUDIO_SUFFIXES | {".txt"})
        self.used: list[Path] = []

    def listen(self, rec: CallRecogniser | None, timeout: float) -> Heard_or_typed:
        if not self.files:
            return Action("hangup")  # the answers ran out: the person hangs up
        path = self.files.popleft()
        self.used.append(path)
        if path.suffix.lower() == ".txt":
            return parse_item(path.read_text(encoding="utf-8").strip() or "silence")
        if rec is None:
            return Heard()  # no recognition here: an answer spoken to keys only is silence
        try:
            return hear(rec, to_pcm(path, MODEL_RATE))
        except AudioError:
            return Heard()


class LiveAnswers:
    """The microphone (sox's ``rec``: raw 16 kHz PCM on stdout) and the keyboard at once: a
    line typed wins, else the first utterance Vosk ends; no speech within the timeout is
    silence. A thin layer over the same recogniser as the files; tested with sox streaming a
    file in place of ``rec``, not with a real microphone (none on the build machine)."""

    RECORD = ["rec", "-q", "-t", "raw", "-r", str(MODEL_RATE), "-e", "signed", "-b", "16", "-c",
              "1", "-"]

    def __init__(self, record: list[str] | None = None, keyboard: TextIO | None = None) -> None:
        self.record = record or self.RECORD  # the tests give a command that plays a file
        self.keyboard = keyboard or sys.stdin

    def _line(self) -> str | None:
        line = self.keyboard.readline()
        return None if line == "" else line.rstrip("\n")

    def listen(self, rec: CallRecogniser | None, timeout: float) -> Heard_or_typed:
        if rec is None:
            return typed_action(self._line())
        proc = subprocess.Popen(self.record, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert proc.stdout is not None
        deadline = time.monotonic() + timeout
        try:
            while True:
                ready, _, _ = select.select([proc.stdout, self.keyboard], [], [], 0.1)
                if self.keyboard in ready:
                    return typed_action(self._line())
                if proc.stdout in ready:
                    chunk = os.read(proc.stdout.fileno(), CHUNK)
                    if not chunk:
                        return Heard()  # the recorder stopped
                    heard = rec.accept_pcm16(chunk)
                    if heard is not None:
                        return heard
                    if rec.partial():
                        deadline = time.monotonic() + timeout  # still speaking
                if time.monotonic() > deadline:
                    return rec.finish()
        finally:
            proc.terminate()
            proc.wait()


def hints_of(gather: ET.Element) -> list[str]:
    """The ``hints`` of a TwiML ``<Gather>`` (the phone's speech hints), one per phrase."""
    raw = gather.get("hints") or ""
    return [h.strip() for h in raw.split(",") if h.strip()]


class AssistantInputs:
    """Listens with the model for the turn's language (restricted to its menu's grammar), or
    takes keys only; ``echo`` prints what was heard; ``answered`` keeps when each answer
    ended (for the turn latency)."""

    def __init__(self, answers: Answers, model_for: Callable[[str], SpeechModel | None],
                 lang: str, echo: Callable[[str], None], out_dir: Path | None = None,
                 no_model: Callable[[str], None] | None = None,
                 turn_no: Callable[[], int] = lambda: 0,
                 room_notice: Callable[[str], None] | None = None) -> None:
        self.answers = answers
        self.model_for = model_for
        self.lang = lang
        self.echo = echo
        self.out_dir = out_dir
        self.no_model = no_model
        self.turn_no = turn_no  # the spoken turn being answered: its files share the number
        self.room_notice = room_notice  # says, aloud, that a performance is taken part in by phone
        self.answered: list[float] = []  # when each answer ended, for the turn latency
        self._rec: dict[str, CallRecogniser] = {}  # one recogniser per call (per model)

    def recogniser(self, model: SpeechModel, phrases: Iterable[str]) -> CallRecogniser:
        rec = self._rec.get(model.lang)
        if rec is None:
            rec = self._rec[model.lang] = model.recogniser(list(phrases))
        else:
            rec.set_grammar(list(phrases))
        return rec

    def gather(self, turn: Turn, hint: str) -> Action:
        g = turn.gather
        assert g is not None
        lang = SAY_LANG.get(g.get("language") or "", self.lang)
        self.lang = lang
        speech = "speech" in (g.get("input") or "")
        model = self.model_for(lang) if speech else None
        phrases = model.phrases(hints_of(g), lang) if model is not None else []
        if not phrases:  # no model, or it knows none of the menu's words nor digits
            model = None
            if speech and self.no_model is not None:
                self.no_model(lang)
        rec = self.recogniser(model, phrases) if model is not None else None
        timeout = float(g.get("timeout") or 7)
        got = self.answers.listen(rec, timeout)
        self.answered.append(time.monotonic())
        if isinstance(got, Action):
            self._note(f"[typed] {got.kind} {got.value}".strip())
            return got
        answer = answer_of(got.text, model.lang, lang) if model is not None else None
        if answer is None or answer.empty:
            self._note(f"[heard nothing] {got.text}".strip())
            return Action("silence")
        self._note(f"[heard] {got.text} (confidence {got.confidence:.2f}) → "
                   + (f"keys {answer.digits}" if answer.digits else f"words {answer.speech!r}"))
        if answer.digits:
            return Action("keys", answer.digits)
        return Action("speech", answer.speech, confidence=got.confidence)

    def _note(self, line: str) -> None:
        self.echo(line)
        if self.out_dir is not None:
            path = self.out_dir / f"{self.turn_no():02d}-heard.txt"
            path.write_text(line + "\n", encoding="utf-8")

    def transfer(self, number: str) -> Action:
        return Action("continue")  # the person at the other end finishes; the call goes on

    def record(self) -> Action:
        return Action("skip")  # recordings are the provider line's, by phone

    def room(self, hint: str, poll: RoomPoll) -> Action | None:
        if poll().left:
            return None
        self.echo("[a live room needs a phone: the assistant leaves it]")
        if self.room_notice is not None:  # never a silent end: say why, and how to take part
            self.room_notice(self.lang)
        return Action("hangup")
