"""Recordings by phone: the recordings that can be heard now, one at a time, and the player.

A recording is played in parts of a few minutes (stored so by ``audio.session_audio``), each part
inside the ``<Gather>`` so that a key works while it plays: 3 the next part, 1 this part again,
4 the previous one, ``*`` repeats what was just played, 0 a person. Where a caller has got to is
kept per caller and recording (``catalogue.listening``), so a later call can continue there.
Only approved audio in an open listening window is ever offered or played.
"""
from __future__ import annotations

from catalogue import listening
from catalogue.models import Session, SessionAudio, SessionKind

from . import speak
from .engine import Ctx, Goto, Menu, Option, Outcome, Speak, node
from .nodes import current_id, on_last, stepped
from .text_numbers import say_numbers
from .reply import Segment


def _title(session: Session, lang: str) -> str:
    return say_numbers(session.event.text("title", lang), lang)


def listen_by_code(ctx: Ctx, sessions: list[Session]) -> Outcome | None:
    """An event code of a recording that can be heard now goes straight to the player."""
    for session in sessions:
        if session.kind == SessionKind.RECORDING and listening.playable(ctx.db, session.id, ctx.now):
            return Goto("recording_play", {"session_id": session.id})
    return None


def offered_later(ctx: Ctx, session: Session) -> bool:
    """Whether an event code lists a session that is not being listened to now: any session but
    a recording, and a recording only when its window is still to open and its audio approved
    (so it is never announced before it can be heard)."""
    if session.kind != SessionKind.RECORDING:
        return True
    return session.starts_at > ctx.now and listening.approved_audio(ctx.db, session.id) is not None


@node
class RecordingsNow(Menu):
    """The recordings whose listening window is open: title and until when, 1 listen, 3 next."""

    name = "recordings_now"

    def reprompt(self, ctx: Ctx) -> list[Segment]:
        return ctx.say("recordings.short_last" if on_last(ctx) else "recordings.short")

    def options(self, ctx: Ctx) -> list[Option]:
        last = on_last(ctx)
        return [Option("1", "recordings.listen", "recordings.listen", self._listen),
                Option("9", "recording.main", "main_menu", self._next) if last else
                Option("3", "recordings.next", "next", self._next)]

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        preface: list[Segment] = []
        if "ids" not in ctx.data:
            ids = [s.id for s in listening.open_recordings(ctx.db, ctx.now)]
            if not ids:
                return Goto("main_menu", preface=ctx.say("recordings.none"))
            ctx.data.update(ids=ids, i=0)
            preface = (ctx.say("recordings.count_one") if len(ids) == 1 else
                       ctx.say("recordings.count", count=speak.number(len(ids), ctx.lang)))
        session = self._current(ctx)
        if session is None:  # closed or withdrawn meanwhile
            return self._next(ctx)
        return preface + ctx.say("recordings.item_until", title=_title(session, ctx.lang),
                                 until=speak.until(session.ends_at, ctx.lang)) \
            + self.option_segments(ctx)

    def _current(self, ctx: Ctx) -> Session | None:
        sid = current_id(ctx)
        found = listening.playable(ctx.db, sid, ctx.now) if sid is not None else None
        return found[0] if found else None

    def _listen(self, ctx: Ctx) -> Outcome:
        session = self._current(ctx)
        if session is None:
            return self._next(ctx)
        return Goto("recording_play", {"session_id": session.id})

    def _next(self, ctx: Ctx) -> Outcome:
        following = stepped(ctx, +1)
        if following is None:
            return Goto("main_menu", preface=ctx.say("recordings.end"))
        return Goto("recordings_now", following)


@node
class RecordingPlay(Menu):
    """Data: ``session_id``; then ``part`` (0-based) while playing, or ``resume`` (the part a
    caller reached on an earlier call) while asking where to start."""

    name = "recording_play"
    writes = True  # the caller's place in the recording is kept

    def _found(self, ctx: Ctx) -> tuple[Session, SessionAudio] | None:
        return listening.playable(ctx.db, int(ctx.data.get("session_id") or 0), ctx.now)

    def options(self, ctx: Ctx) -> list[Option]:
        if "resume" in ctx.data:
            return [Option("1", "recording.continue", "recordings.continue",
                           lambda c: self._play(c, int(c.data["resume"]))),
                    Option("2", "recording.beginning", "recordings.beginning",
                           lambda c: self._play(c, 0))]
        part, count = int(ctx.data.get("part", 0)), int(ctx.data.get("count", 1))
        last = part + 1 >= count
        # After the last part the way on is the main menu, on the key it has everywhere (9).
        opts = [Option("9", "recording.main", "main_menu", lambda c: self._play(c, part + 1))
                if last else Option("3", "recording.next", "next", lambda c: self._play(c, part + 1)),
                Option("1", "recording.again", "recordings.again", lambda c: self._play(c, part))]
        if part > 0:
            opts.append(Option("4", "recording.previous", "previous",
                               lambda c: self._play(c, part - 1)))
        return opts

    def option_segments(self, ctx: Ctx) -> list[Segment]:
        if "resume" in ctx.data:
            part = speak.number(int(ctx.data["resume"]) + 1, ctx.lang)
            return ctx.say("recording.continue", part=part) + ctx.say("recording.beginning")
        return super().option_segments(ctx)

    def reprompt(self, ctx: Ctx) -> list[Segment]:
        if "resume" in ctx.data:
            return self.option_segments(ctx)
        if "part" not in ctx.data:
            return []
        last = int(ctx.data["part"]) + 1 >= int(ctx.data.get("count", 1))
        return ctx.say("recording.short_last" if last else "recording.short")

    def enter(self, ctx: Ctx) -> list[Segment] | Outcome:
        found = self._found(ctx)
        if found is None:
            return Goto("main_menu", preface=ctx.say("recording.unavailable"))
        session, audio = found
        intro = ctx.say("recording.intro", title=_title(session, ctx.lang))
        count = len(audio.parts)
        if count > 1:
            intro += ctx.say("recording.parts", count=speak.number(count, ctx.lang))
        caller = ctx.caller
        reached = listening.position(ctx.db, caller.id, session.id) if caller is not None else None
        if reached is not None and 0 < reached < count:
            ctx.data["resume"] = reached
            return intro + ctx.say("recording.resume") + self.option_segments(ctx)
        outcome = self._play(ctx, 0)
        assert isinstance(outcome, Speak)
        return intro + outcome.segments

    def _play(self, ctx: Ctx, part: int) -> Outcome:
        found = self._found(ctx)
        if found is None:
            return Goto("main_menu", preface=ctx.say("recording.unavailable"))
        session, audio = found
        caller = ctx.caller
        count = len(audio.parts)
        if part >= count:  # 3 after the last part: done, back to the main menu
            if caller is not None:
                listening.forget(ctx.db, caller.id, session.id)
            return Goto("main_menu", preface=ctx.say("recording.back"))
        part = max(0, part)
        ctx.data.pop("resume", None)
        ctx.data.update(part=part, count=count)
        if caller is not None:
            listening.remember(ctx.db, caller.id, session.id, part, now=ctx.now)
        heading = ctx.say("recording.part", part=speak.number(part + 1, ctx.lang)) \
            if count > 1 else []
        sound = Segment(text=_title(session, ctx.lang), lang=ctx.lang, audio_path=audio.parts[part])
        after = ctx.say("recording.ended") if part + 1 >= count else []
        return Speak(heading + [sound] + after + self.option_segments(ctx))
