"""The assistant's turn latency: from the end of the person's answer (Vosk has the words) to
the first sound of the service's next turn, through the in-process webhooks, on the demo
programme; cold (no cached audio: espeak-ng makes every sentence on the path) and warm (the
walk's sentences rendered into the prompt cache first, as ``lampio audio render`` does)."""
from __future__ import annotations

import bisect
import statistics
import tempfile
from pathlib import Path
from typing import Any

import common  # noqa: F401  - puts the project on sys.path

from app import create_app  # noqa: E402
from audio.render import render_all  # noqa: E402
from catalogue.setup import prepare_database  # noqa: E402
from tests.recognition_support import digit_answer  # noqa: E402
from voice.assistant_cli import run_assistant  # noqa: E402
from voice.assistant_inputs import FolderAnswers  # noqa: E402
from voice.recognition import SpeechModel  # noqa: E402

WALK = ("1", "1", "3", "3", "1", "2")  # programme, a group, next, next, more, register


def _answers(folder: Path) -> Path:
    folder.mkdir()
    for i, digit in enumerate(WALK, start=1):
        digit_answer(digit, folder / f"{i:02d}.wav")
    (folder / f"{len(WALK) + 1:02d}.txt").write_text("hangup")
    return folder


def _one_run(app: Any, model: SpeechModel, folder: Path, number: str
             ) -> tuple[list[float], set[tuple[str, str]], int]:
    lines: list[str] = []
    with app.app_context():
        result, inputs, speaker = run_assistant(
            from_number=number, lang="fi", answers=FolderAnswers(folder), out_dir=None,
            choose=lambda lang: model, echo=lines.append)
    latencies = []
    for ended in inputs.answered:
        k = bisect.bisect_right(speaker.first_sounds, ended)
        if k < len(speaker.first_sounds):
            latencies.append(speaker.first_sounds[k] - ended)
    made = {(text, lang) for text, lang, _slow in speaker.made()}
    return latencies, made, result.turns


def assistant_latency(model_path: str) -> None:
    model = SpeechModel("ko", model_path)
    with tempfile.TemporaryDirectory(prefix="lampio-bench-vosk-") as tmp_name:
        tmp = Path(tmp_name)
        app = create_app({"TESTING": True, "SCHEDULER": False, "DEMO_DATA": True,
                          "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
                          "AUDIO_DIR": str(tmp / "audio"), "TTS_ENGINES": "espeak",
                          "TWILIO_AUTH_TOKEN": common.TOKEN, "PUBLIC_BASE_URL": common.BASE})
        prepare_database(app, demo=True)
        folder = _answers(tmp / "answers")
        cold, made, turns = _one_run(app, model, folder, "+358912349001")
        svc = app.extensions["lampio_audio"]
        render_all(svc.cache, sorted(made))
        warm, left, _ = _one_run(app, model, folder, "+358912349002")
    print(f"\nassistant turn latency, end of the answer → first sound ({len(WALK)} spoken answers, "
          f"{turns} webhook turns, demo programme):")
    for name, values in (("cold (espeak-ng on the path)", cold),
                         ("warm (cached audio)         ", warm)):
        if values:
            print(f"  {name}: median {statistics.median(values) * 1000:6.0f} ms, "
                  f"max {max(values) * 1000:6.0f} ms over {len(values)} turns")
    print(f"  sentences made by espeak-ng on the path: cold {len(made)}, warm {len(left)}")
