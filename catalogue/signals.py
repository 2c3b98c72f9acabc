"""What changed, told after it is committed: the services that the phone and the admin share
queue a signal with ``send_after_commit``, and it is sent only once the session's transaction
commits (nothing for a change that was rolled back). Listeners (the audio worker) may then read
the change from any connection.

The sender is the session's ``Engine``, so a listener can connect for its own app's database
only (``signal.connect(receiver, sender=engine)``). blinker itself, not Flask's re-export: the
catalogue loads no Flask.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from blinker import Namespace, NamedSignal
from sqlalchemy import event
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import SessionTransaction

_signals = Namespace()

programme_changed = _signals.signal("programme-changed", doc="payload: event_ids (list[int])")
description_changed = _signals.signal("description-changed", doc="payload: description_id, event_id")
registration_changed = _signals.signal("registration-changed", doc="payload: session_id")

_QUEUE = "lampio_signals_after_commit"


@dataclass
class _Queued:
    signal: NamedSignal
    payload: dict[str, Any]
    savepoint: SessionTransaction | None  # the innermost savepoint it was queued in


def send_after_commit(db: DbSession, signal: NamedSignal, **payload: Any) -> None:
    """Send ``signal`` with ``payload`` once ``db``'s transaction commits. Queued outside a
    transaction, it waits for the next one (begun here, as the session would on first use)."""
    if not db.in_transaction():
        db.begin()
    db.info.setdefault(_QUEUE, []).append(_Queued(signal, payload, db.get_nested_transaction()))


def _queue(session: DbSession) -> list[_Queued]:
    queued: list[_Queued] = session.info.get(_QUEUE, [])
    return queued


@event.listens_for(DbSession, "after_commit")
def _after_commit(session: DbSession) -> None:
    queued = _queue(session)
    if not queued:
        return
    released = session.get_nested_transaction()
    if released is not None:
        # A savepoint was released, not committed: what it queued now waits on the one around it.
        parent = released.parent
        outer = parent if parent is not None and parent.nested else None
        for item in queued:
            if item.savepoint is released:
                item.savepoint = outer
        return
    session.info.pop(_QUEUE, None)  # before sending: a listener that commits must not resend
    sender = session.get_bind().engine
    for item in queued:
        item.signal.send(sender, **item.payload)


@event.listens_for(DbSession, "after_soft_rollback")
def _after_soft_rollback(session: DbSession, previous_transaction: SessionTransaction) -> None:
    queued = _queue(session)
    if not queued:
        return
    if previous_transaction.nested:  # only what the rolled-back savepoint queued is undone
        session.info[_QUEUE] = [item for item in queued if item.savepoint is not previous_transaction]
    elif previous_transaction.parent is None:
        session.info.pop(_QUEUE, None)


@event.listens_for(DbSession, "after_transaction_end")
def _after_transaction_end(session: DbSession, transaction: SessionTransaction) -> None:
    """A transaction closed without commit (``Session.close``) takes its signals with it."""
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_QUEUE, None)
