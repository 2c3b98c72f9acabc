"""The call engine: one turn in, one ``Reply`` out, with DESIGN.md's rules applied everywhere.

Every node gets the same reserved keys (``*`` repeats what was just said, ``0`` reaches a person,
``9`` returns to the main menu)
and the same failure handling, counted per node like VoiceXML's ``nomatch``/``noinput`` and reset
when a new node is entered: the first failure reprompts more simply, the second and later ones
add help and the way to a person. Nothing here ever hangs up on an error or on silence.

State lives in a plain JSON-able dict that the channel carries between webhooks, so any host can
answer. The caller is loaded only when a node asks for it: most turns need no database at all.
"""
from __future__ import annotations

from typing import Any

from . import prompts
from .context import Ctx, Heard, Input, Settings
from .matching import match_speech, without_numbers
from .nodes import (DigitEntry, Finish, Goto, Menu, NoMatch, Node, Option, Outcome, Speak,
                    goto)
from .reply import Gather, Reply, Segment

__all__ = ["Ctx", "DigitEntry", "Finish", "Gather", "Goto", "Input", "Menu", "NoMatch", "Node",
           "Option", "Outcome", "PRIVATE_DATA", "Reply", "Segment", "Settings", "Speak", "enter",
           "get_node", "goto", "has_node", "match_speech", "node", "start", "turn"]

REPEAT = "*"
PERSON = "0"
MAIN_MENU = "9"  # DESIGN rule 2: one key, the same in every caller menu, back to the main menu
# The provider line (its own number) is not a caller menu: no way to the callers' main menu.
_PROVIDER_LINE = ("provider_", "host_")
# Keys of a node's data that hold personal data (a typed phone number): a channel must keep a
# state holding them on the server, never in a URL.
PRIVATE_DATA = frozenset({"number"})


# ---- the node registry --------------------------------------------------------------------

_NODES: dict[str, Node] = {}


def node(cls: type[Node]) -> type[Node]:
    """Register a node class by its ``name``."""
    _NODES[cls.name] = cls()
    return cls


def get_node(name: str) -> Node:
    return _NODES[name]


def has_node(name: str) -> bool:
    return name in _NODES


# ---- the turn loop ------------------------------------------------------------------------

def _is_repeat(ctx: Ctx, inp: Input) -> bool:
    if inp.digits == REPEAT:
        return True
    return bool(inp.speech) and not inp.digits and match_speech(
        ctx.lang, inp.speech, {REPEAT: "repeat"}) == REPEAT


def _is_person(ctx: Ctx, inp: Input, current: Node) -> bool:
    """0, or the words for a person; in a menu also the key's own word ("nolla", "zero")."""
    if inp.digits == PERSON:
        return True
    if inp.digits or not inp.speech or not current.allows_person_key:
        return False
    return match_speech(ctx.lang, inp.speech, {PERSON: "person"}) == PERSON


def _is_main_menu(ctx: Ctx, inp: Input, current: Node) -> bool:
    """9 alone (Twilio drops the ``#`` that ends a number; a test client may not), or the words
    "päävalikko"/"huvudmenyn"/"main menu", once a language is known. In a menu the key's own
    word ("yhdeksän") counts too; where a number is typed it is a digit of the number."""
    if "lang" not in ctx.state or current.name.startswith(_PROVIDER_LINE):
        return False
    if inp.digits:
        return inp.digits.rstrip("#") == MAIN_MENU if isinstance(current, DigitEntry) \
            else inp.digits == MAIN_MENU
    if not inp.speech:
        return False
    key = "main" if isinstance(current, DigitEntry) else MAIN_MENU
    return match_speech(ctx.lang, inp.speech, {key: "main_menu"}) == key


def _own_way_back(ctx: Ctx, current: Node) -> bool:
    """A menu that offers 9 itself (after the last item: "that was all") handles it."""
    return isinstance(current, Menu) and any(o.key == MAIN_MENU for o in current.options(ctx))


SLOWER_KEY = "8"  # in menus (not where a number is typed); said in the help


def _speed(ctx: Ctx, inp: Input, current: Node) -> bool | None:
    """"Slower" (the word, or 8 in a menu) → True, "faster" → False, else None."""
    if not current.allows_person_key:
        return None
    if inp.digits == SLOWER_KEY:
        return True
    if inp.digits or not inp.speech:
        return None
    said = match_speech(ctx.lang, inp.speech, {"slower": "speed.slower", "faster": "speed.faster"})
    return {"slower": True, "faster": False}.get(said or "")


def _set_speed(ctx: Ctx, current: Node, slow: bool) -> Reply:
    """Remembered for the caller's next calls too (issue 10), then what was said, again."""
    if slow:
        ctx.state["slow"] = 1
    else:
        ctx.state.pop("slow", None)
    if ctx.caller is not None and ctx.caller.slow_speech != slow:
        ctx.caller.slow_speech = slow
    said = ctx.say("speed.slower" if slow else "speed.faster")
    return _waiting(ctx, current, said + (_last(ctx) or current.reprompt(ctx)), remember=False)


def _remember(ctx: Ctx, segments: list[Segment]) -> None:
    ctx.state["last"] = [[s.text, s.lang, s.pause, s.audio_path] for s in segments]


def _last(ctx: Ctx) -> list[Segment]:
    return [Segment(t, lang, pause, path) for t, lang, pause, path in ctx.state.get("last", [])]


def _waiting(ctx: Ctx, current: Node, segments: list[Segment], remember: bool = True) -> Reply:
    if remember:
        _remember(ctx, segments)
    return Reply(speech=segments, gather=current.gather(ctx))


def enter(ctx: Ctx, name: str, data: dict[str, Any] | None = None,
          preface: list[Segment] | None = None, depth: int = 0) -> Reply:
    """Enter a node: reset its counters, note the visit, speak its prompt and wait."""
    if depth > 8:
        raise RuntimeError("node redirect loop")
    ctx.state.update(node=name, data=dict(data or {}), noinput=0, nomatch=0)
    ctx.visits.append((name, ctx.now))
    current = get_node(name)
    entered = current.enter(ctx)
    return _apply(ctx, current, entered, list(preface or []), depth)


def _apply(ctx: Ctx, current: Node, outcome: list[Segment] | Outcome,
           preface: list[Segment], depth: int = 0) -> Reply:
    if isinstance(outcome, list):
        return _waiting(ctx, current, preface + outcome)
    if isinstance(outcome, Goto):
        return enter(ctx, outcome.node, outcome.data, preface + outcome.preface, depth + 1)
    if isinstance(outcome, Speak):
        ctx.state.update(noinput=0, nomatch=0)
        return _waiting(ctx, current, preface + outcome.segments)
    if isinstance(outcome, Finish):
        reply = outcome.reply
        reply.speech[:0] = preface
        _remember(ctx, outcome.segments_to_repeat or reply.speech)
        return reply
    return _failure(ctx, current, "nomatch", preface + outcome.explain)


def _help(ctx: Ctx) -> list[Segment]:
    """How to answer, briefly; before a language is chosen, in all three languages."""
    if "lang" not in ctx.state:
        return [s for lang in prompts.LANGUAGES for s in prompts.segments(lang, "errors.help_language")]
    return ctx.say("errors.help")


def _failure(ctx: Ctx, current: Node, kind: str, explain: list[Segment]) -> Reply:
    """Reprompts get simpler (DESIGN rules 3 and 12): the first failure repeats only the choices
    (after the node's own reason, if it gave one: "that is not a phone number"), the second and
    later ones first say briefly how to answer."""
    count = int(ctx.state.get(kind, 0)) + 1
    ctx.state[kind] = count
    lead = list(explain)
    if count >= 2:
        lead = lead + _help(ctx)
        if current.allows_person_key and not ctx.state.get("slow"):
            lead = lead + ctx.say("speed.help")
    # ``*`` keeps repeating the content the caller needed, never an error line (rule 2).
    return _waiting(ctx, current, lead + current.reprompt(ctx), remember="last" not in ctx.state)


def start(ctx: Ctx, first: str) -> Reply:
    return enter(ctx, first)


def current_node(state: dict[str, Any]) -> Node:
    """The node the state names; an unknown name (a damaged state) is the main menu."""
    name = state.get("node")
    return get_node(name if isinstance(name, str) and name in _NODES else "main_menu")


def turn(ctx: Ctx, inp: Input) -> Reply:
    """Answer one turn in the node the call is in."""
    current = current_node(ctx.state)
    if inp.event == "timeout" or (inp.event == "input" and inp.empty):
        return _failure(ctx, current, "noinput", [])
    if inp.event == "input" and inp.speech and not inp.digits:
        return _words(ctx, inp, current)
    return _answer(ctx, inp, current)


def _answer(ctx: Ctx, inp: Input, current: Node) -> Reply:
    if inp.event == "input":
        if _is_repeat(ctx, inp):
            return _waiting(ctx, current, _last(ctx) or current.reprompt(ctx))
        if _is_person(ctx, inp, current) and ctx.state.get("node") != "person":
            return enter(ctx, "person", {"back": ctx.state.get("node"), "about": current.about(ctx)})
        speed = _speed(ctx, inp, current)
        if speed is not None:
            return _set_speed(ctx, current, speed)
        if _is_main_menu(ctx, inp, current) and not _own_way_back(ctx, current):
            return enter(ctx, "main_menu")
    return _apply(ctx, current, current.handle(ctx, inp), [])


CONFIRM = "confirm_speech"  # ivr_flows/confirm.py: "Did you say register? 1 yes, 2 no"
_SPEEDS = {"slower": True, "faster": False}


def _spoken_choice(ctx: Ctx, inp: Input, current: Menu) -> tuple[str, str] | None:
    """What words said in a menu choose — a key, or "slower"/"faster" — with the words key
    that named it, in the order a turn applies them (``_answer``)."""
    if _is_repeat(ctx, inp):
        return REPEAT, "repeat"
    if _is_person(ctx, inp, current):
        return PERSON, "person"
    speed = _speed(ctx, inp, current)
    if speed is not None:
        return ("slower", "speed.slower") if speed else ("faster", "speed.faster")
    if _is_main_menu(ctx, inp, current) and not _own_way_back(ctx, current):
        return MAIN_MENU, "main_menu"
    option = current.choice_for(ctx, inp.speech)
    return (option.key, option.words) if option is not None else None


def _words(ctx: Ctx, inp: Input, current: Node) -> Reply:
    """Words said. In a menu they choose what a key would, and then act exactly as that key
    pressed; words heard with a confidence below ``confirm_below`` are confirmed first (a
    repeat or a change of speed moves nothing and is not). Each answer is noted for the
    speech log."""
    if not isinstance(current, Menu):
        before = int(ctx.state.get("nomatch", 0))
        reply = _answer(ctx, inp, current)
        failed = ctx.state.get("node") == current.name and int(ctx.state.get("nomatch", 0)) > before
        _note(ctx, current, inp, "not_understood" if failed else "matched")
        return reply
    choice = _spoken_choice(ctx, inp, current)
    if choice is None:
        _note(ctx, current, inp, "not_understood")
        return _failure(ctx, current, "nomatch", [])
    key, words_key = choice
    below = ctx.settings.confirm_below  # 1 asks always, 0 never
    unsure = inp.confidence is not None and (inp.confidence < below or below >= 1.0)
    if unsure and current.confirms_speech and key != REPEAT and key not in _SPEEDS:
        _note(ctx, current, inp, "unsure")
        held = {"key": key, "said": words_key, "node": current.name, "back": ctx.data,
                "counts": [ctx.state.get("noinput", 0), ctx.state.get("nomatch", 0)],
                "last": ctx.state.get("last")}
        return enter(ctx, CONFIRM, held)
    _note(ctx, current, inp, "matched")
    if key in _SPEEDS:
        return _set_speed(ctx, current, _SPEEDS[key])
    return _answer(ctx, Input(digits=key), current)


def _note(ctx: Ctx, current: Node, inp: Input, outcome: str) -> None:
    langs = [ctx.state["lang"]] if "lang" in ctx.state else list(prompts.LANGUAGES)
    ctx.heard.append(Heard(current.name, ctx.state.get("lang") or "", without_numbers(
        langs, inp.speech), outcome, ctx.now))
