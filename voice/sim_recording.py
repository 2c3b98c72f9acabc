"""A recorded room's recording, as the simulator's Twilio delivers it after the room ends.

Twilio records a ``<Conference record="record-from-start">`` and, when it ends, posts the
``recordingStatusCallback`` with a ``RecordingUrl`` on its media host. The simulator has no
audio of the room, so it reads a short text aloud offline (espeak-ng), as long as the room lasted
(30 s to 10 minutes, so the service has something to split into parts), serves it on loopback
(``RecordingServer``; on the embedded default the service allows loopback media hosts) and
posts the signed callback with the form fields Twilio sends. The service downloads the file
while the callback is answered, so the server is closed right after.
"""
from __future__ import annotations

import logging
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .simulator_http import RecordingServer

if TYPE_CHECKING:
    from .simulator import SimulatedCall

log = logging.getLogger("lampio.simulator")
MIN_SECONDS, MAX_SECONDS = 30, 600
RATE = 8000  # Twilio's recordings: 8 kHz mono


def room_seconds(conf: dict[str, Any], now: float | None = None) -> int:
    began = conf.get("started_at") or conf.get("created") or time.time()
    return int(min(MAX_SECONDS, max(MIN_SECONDS, (now or time.time()) - began)))


def make_wav(dest: Path, seconds: int, voice: str = "fi") -> Path:
    """``seconds`` of speech (numbered sentences, so the parts sound different), 8 kHz WAV."""
    sentences = " ".join(f"Simuloitu tallenne esityksestä, kohta {n}."
                         for n in range(1, seconds // 3 + 2))
    speech = dest.with_suffix(".speech.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", "140", "-w", str(speech), sentences],
                   check=True, capture_output=True, timeout=300)
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                    "-i", str(speech), "-af", "apad", "-t", str(seconds), "-ac", "1",
                    "-ar", str(RATE), "-c:a", "pcm_s16le", str(dest)],
                   check=True, capture_output=True, timeout=300)
    speech.unlink(missing_ok=True)
    return dest


def post_room_recording(call: "SimulatedCall", conf: dict[str, Any]) -> int:
    """Make the room's recording, serve it, post the callback; the callback's HTTP status (0
    when no audio could be made: the service then simply gets no recording)."""
    seconds = room_seconds(conf)
    sid = "RE" + uuid.uuid4().hex
    with tempfile.TemporaryDirectory(prefix="lampio-sim-room-") as tmp:
        try:
            wav = make_wav(Path(tmp) / "room.wav", seconds)
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("the simulated room recording could not be made: %s", exc)
            return 0
        server = RecordingServer(wav, ext="")
        try:
            return call.callback(conf["recording_callback"], {
                "ConferenceSid": conf["sid"], "RecordingSid": sid, "RecordingUrl": server.url,
                "RecordingStatus": "completed", "RecordingDuration": str(seconds),
                "RecordingChannels": "1", "RecordingSource": "DialVerb",
                "RecordingStartTime": time.strftime("%a, %d %b %Y %H:%M:%S +0000",
                                                    time.gmtime(conf.get("started_at") or
                                                                conf.get("created") or 0)),
                "ErrorCode": "0"})
        finally:
            server.close()
