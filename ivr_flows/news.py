"""What is still to be told, said at the start of the person's own next call: a place that came
free, a session cancelled or moved. The same news the service calls about; whichever reaches the
person first tells it, and then it is cleared (no call is placed for news already told)."""
from __future__ import annotations

from catalogue import news

from .engine import Ctx
from .reply import Segment

_SAID = {"promoted": "news.promoted", "cancelled": "news.cancelled", "moved": "news.moved"}


def news_preface(ctx: Ctx) -> list[Segment]:
    """Each piece of news with its session, before the main menu; empty for most calls."""
    if not ctx.caller_known or ctx.state.pop("first", None):
        return []  # no one, or a person whose row this call made: nothing can wait yet
    caller_id = ctx.caller_id  # the id is enough: the caller's row is not read
    assert caller_id is not None
    from .outbound import session_brief

    regs = news.news_for(ctx.db, caller_id, ctx.now, marked=ctx.news_marked)
    said: list[Segment] = []
    for reg in regs:
        said += ctx.say(_SAID[reg.notify_pending or ""]) + session_brief(ctx, reg.session)
        if reg.notify_pending == "moved":
            said += ctx.say("call.moved_kept")
    news.told(ctx.db, regs, ctx.now)
    return said
