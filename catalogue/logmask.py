"""No phone number in any log line, whatever fails (issue 11): every log record's message,
exception text and stack are masked when the record is made, before any handler or formatter
sees it.

The mask is put into logging's record factory (``install``), not onto handlers, so that it holds
for every logger and for handlers added later (gunicorn's, werkzeug's, pytest's, a library's);
``create_app`` installs it, and every process (``python app.py``, ``lampio``, gunicorn workers)
passes there. What is masked: a run of 7 or more digits that starts with ``+``, ``%2B`` or ``0``
and may have spaces or dashes inside (+358 40 123 4567, 00358…, 040-123 4567), and any unbroken
run of 7 or more digits (358401234567, 0912345678). Times, dates such as 2024-11-28, counts and
short ids stay as they are. The last three digits are kept (``…567``), as the admin shows them.
"""
from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
from typing import Any

_NUMBER = re.compile(
    r"(?<![\d])(?:(?:\+|%2[Bb])\d(?:[ \-]?\d){6,}|0\d(?:[ \-]?\d){5,}|\d{7,})(?!\d)")
_MARK = "_lampio_masked"


def mask(text: str) -> str:
    """``text`` with every phone-number-like run replaced by ``…`` and its last three digits."""
    if not text:
        return text
    return _NUMBER.sub(lambda m: "…" + re.sub(r"\D", "", m.group())[-3:], text)


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Render the record's message and exception text now and mask them; the args are dropped
    so no formatter can put the raw values back."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a malformed call must still be logged, masked
        message = f"{record.msg!r} {record.args!r}"
    record.msg, record.args = mask(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
    if record.exc_text:
        record.exc_text = mask(record.exc_text)
    if record.stack_info:
        record.stack_info = mask(record.stack_info)
    return record


class MaskNumbers(logging.Filter):
    """The same mask as a filter, for a handler that is given records made elsewhere (e.g. by
    ``logging.makeLogRecord`` from another process)."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


_lock = threading.Lock()


def install() -> None:
    """Mask every record made from now on in this process (idempotent), and tracebacks that
    threads or the interpreter print without logging."""
    with _lock:
        factory = logging.getLogRecordFactory()
        if getattr(factory, _MARK, False):
            return

        def masked_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return mask_record(factory(*args, **kwargs))

        setattr(masked_factory, _MARK, True)
        logging.setLogRecordFactory(masked_factory)

        def thread_hook(hook_args: threading.ExceptHookArgs) -> None:
            if hook_args.exc_type is SystemExit:
                return  # as the default hook: a thread that exits says nothing
            text = "".join(traceback.format_exception(
                hook_args.exc_type, hook_args.exc_value, hook_args.exc_traceback))
            name = hook_args.thread.name if hook_args.thread else "?"
            sys.stderr.write(f"Exception in thread {name}:\n{mask(text)}")

        def except_hook(exc_type: type[BaseException], exc: BaseException, tb: Any) -> None:
            sys.stderr.write(mask("".join(traceback.format_exception(exc_type, exc, tb))))

        threading.excepthook = thread_hook
        sys.excepthook = except_hook
