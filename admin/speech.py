"""What callers say in each menu (the speech log): counts per menu and language of words that
chose something, words asked to be confirmed (heard unsure) and words not understood, and the
words themselves, most said first — so staff can add the words callers use to the prompts'
word lists and hints. Staff only. The log holds no numbers (see ``ivr_flows.matching``)."""
from __future__ import annotations

from datetime import timedelta

from flask import render_template
from sqlalchemy import func, select

from catalogue.db import get_db
from catalogue.models import SpeechHeard
from catalogue.timeutil import utcnow
from . import access
from .overview import node_name

DAYS = 30
OUTCOMES = ("matched", "unsure", "not_understood")
MOST_WORDS = 300


@access.staff_only
def speech_log() -> str:
    db = get_db()
    since = utcnow() - timedelta(days=DAYS)
    recent = SpeechHeard.at >= since
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for node, lang, outcome, n in db.execute(
            select(SpeechHeard.node, SpeechHeard.lang, SpeechHeard.outcome, func.count())
            .where(recent).group_by(SpeechHeard.node, SpeechHeard.lang, SpeechHeard.outcome)):
        counts.setdefault((node, lang), dict.fromkeys(OUTCOMES, 0))[outcome] = n
    menus = sorted(counts.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    said = func.count().label("n")
    words = db.execute(
        select(SpeechHeard.node, SpeechHeard.lang, SpeechHeard.words, SpeechHeard.outcome, said)
        .where(recent)
        .group_by(SpeechHeard.node, SpeechHeard.lang, SpeechHeard.words, SpeechHeard.outcome)
        .order_by(said.desc(), SpeechHeard.node, SpeechHeard.words).limit(MOST_WORDS)).all()
    return render_template("admin/speech.html", days=DAYS, outcomes=OUTCOMES, node_name=node_name,
                           menus=[(node, lang, c) for (node, lang), c in menus], words=words)
