"""``lampio calls run``: plan the calls that are due, then place them, exactly once.

The same idempotent pass runs from cron on every host, or every minute in the app's own
scheduler thread on the embedded default. Planning is idempotent (``catalogue.outbound.plan``),
claiming is atomic (``catalogue.outbound_claim``), and the pace (``CALLS_PER_SECOND``) is shared
by all runners through the database; an HTTP 429 from Twilio pushes every runner back.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from twilio.base.exceptions import TwilioRestException

import ivr_flows
from catalogue import jobs, outbound, outbound_claim, privacy
from catalogue.db import get_sessionmaker, session_scope
from catalogue.models import CallKind
from catalogue.timeutil import utcnow

from . import outbound_settings
from .twilio_rest import rest_client, simulated

log = logging.getLogger("lampio.calls")
MAX_BACKOFF = 60.0
MAX_THROTTLED = 5  # consecutive 429s before this pass gives up (the next pass carries on)


@dataclass
class Report:
    planned: int = 0
    placed: int = 0
    failed: int = 0
    throttled: int = 0
    stale_closed: int = 0

    def __str__(self) -> str:
        text = (f"{self.planned} calls planned, {self.placed} placed, {self.failed} failed, "
                f"{self.throttled} refused with 429")
        return text + (f", {self.stale_closed} stale calls closed" if self.stale_closed else "")


def base_url(app: Flask) -> str:
    """Where Twilio reaches the webhooks (the simulator: this machine)."""
    return (app.config.get("PUBLIC_BASE_URL") or f"http://127.0.0.1:{app.config['PORT']}").rstrip("/")


def caller_id(app: Flask) -> str:
    """The number calls come from: the service's own; the simulator's line on the default."""
    number = str(app.config.get("SERVICE_PHONE_NUMBER") or "")
    if not number and simulated(app):
        from .simulator_http import DEFAULT_TO

        number = DEFAULT_TO
    return number


def call_rules(app: Flask) -> outbound.CallRules:
    return outbound_settings.rules(app.config)


def run_calls(app: Flask, now: Callable[[], datetime] = utcnow, limit: int | None = None,
              sleep: Callable[[float], None] = time.sleep) -> Report:
    """One pass. ``now`` is the clock the rules use (a test moves it; pacing uses real time)."""
    rules = call_rules(app)
    report = Report()
    # "1, take part now" needs the live room; without it, no call would keep its promise.
    kinds = set(CallKind) - (set() if ivr_flows.engine.has_node("join_room") else {CallKind.STARTING})
    with session_scope(app) as db:
        # Calls whose status callback never came, by the real clock (``now`` may be a test's).
        report.stale_closed = privacy.close_stale_calls(
            db, now=utcnow(), hours=int(app.config.get("CALL_STALE_HOURS", 4)))
        report.planned = outbound.plan(db, now(), rules, kinds=frozenset(kinds))
    number = caller_id(app)
    if not number:
        log.error("SERVICE_PHONE_NUMBER is not set: no calls can be placed")
        return report
    calls_api = rest_client(app).calls  # loaded now (about 0.1 s of imports), not on the clock
    interval = 1.0 / float(app.config["CALLS_PER_SECOND"])
    base = base_url(app)
    backoff = 1.0
    db = get_sessionmaker(app)()
    try:
        while limit is None or report.placed < limit:
            claimed = outbound_claim.claim(db, now(), rules.quiet, interval)
            if claimed is None:
                break
            call, slot = claimed
            wait = slot - time.time()
            if wait > 0:
                sleep(wait)
            try:
                created = calls_api.create(
                    to=call.caller.phone, from_=number,
                    url=f"{base}/voice/outbound?call={call.id}", method="POST",
                    status_callback=f"{base}/voice/outbound/status?call={call.id}",
                    status_callback_method="POST", machine_detection="Enable")
            except TwilioRestException as exc:
                if exc.status == 429:
                    report.throttled += 1
                    outbound.throttled(db, call)
                    outbound_claim.back_off(db, backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)
                    if report.throttled >= MAX_THROTTLED:
                        break
                    continue
                report.failed += 1
                log.warning("placing call %s failed: HTTP %s", call.id, exc.status)
                outbound.place_failed(db, call, now(), rules, f"http {exc.status}")
                continue
            except Exception:  # noqa: BLE001 - the network: counted like a failed call
                report.failed += 1
                log.exception("placing call %s failed", call.id)
                outbound.place_failed(db, call, now(), rules, "error")
                continue
            outbound.placed(db, call, str(created.sid), now())
            report.placed += 1
            backoff = 1.0
    finally:
        db.close()
    return report


class CallWorker:
    """The scheduler thread of the embedded default: ``run_calls`` every interval, then the
    other registered jobs (``catalogue.jobs``: the scheduled imports)."""

    def __init__(self, app: Flask, interval: float) -> None:
        self.app = app
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="lampio-calls", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                report = run_calls(self.app)
                if report.placed or report.failed:
                    log.info("calls: %s", report)
            except Exception:  # noqa: BLE001 - the next pass tries again
                log.exception("calls pass failed")
            jobs.run_all(self.app)  # the catalogue's own passes (scheduled imports)
            self._stop.wait(self.interval)


def start_on_first_request(app: Flask) -> None:
    """Like the audio worker: with the first request, so CLI commands place no calls."""
    lock = threading.Lock()

    def start() -> None:
        if app.config.get("LAMPIO_NO_BACKGROUND"):
            return  # a command's in-process calls (the voice assistant) start no jobs
        if "lampio_calls_worker" not in app.extensions:
            with lock:
                if "lampio_calls_worker" not in app.extensions:
                    worker = CallWorker(app, float(app.config["CALLS_JOB_INTERVAL"]))
                    app.extensions["lampio_calls_worker"] = worker
                    worker.start()

    app.before_request(start)
    app.extensions.setdefault("lampio_starters", []).append(start)  # the webhooks' app too
