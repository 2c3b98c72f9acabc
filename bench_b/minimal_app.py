"""The benchmark's baseline: the least a Flask webhook can do — answer every call turn with the
same fixed TwiML (a ``<Say>`` inside a ``<Gather>``, so the simulated caller can keep pressing
keys). No database, no signature check, no flow: what is left is Flask + gunicorn + HTTP.
"""
from __future__ import annotations

from flask import Flask, Response
from twilio.twiml.voice_response import VoiceResponse


def _twiml() -> str:
    vr = VoiceResponse()
    gather = vr.gather(action="/voice/turn", method="POST", input="dtmf speech", num_digits=1,
                       timeout=7)
    gather.say("Tervetuloa Lämpiö-puhelimeen. Kuullaksesi tämän viikon ohjelman, paina 1.",
               language="fi-FI")
    vr.redirect("/voice/turn?event=timeout", method="POST")
    return str(vr)


TWIML = _twiml()
app = Flask(__name__)


@app.post("/voice/<path:rest>")
def answer(rest: str) -> Response:
    return Response(TWIML, mimetype="text/xml")
