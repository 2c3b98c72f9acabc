"""Background jobs that share the service's one job runner (the scheduler thread of
``voice.outbound_job``, every ``CALLS_JOB_INTERVAL`` seconds): the catalogue registers its own
passes here without knowing who runs them. Each pass must be idempotent and safe on several
hosts at once, because cron may run the same commands everywhere."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger("lampio.jobs")
Job = Callable[["Flask"], object]
_JOBS = "lampio_jobs"


def register(app: Flask, name: str, job: Job) -> None:
    app.extensions.setdefault(_JOBS, {})[name] = job


def run_all(app: Flask) -> None:
    """Each registered pass once; one that fails is logged and the others still run."""
    for name, job in list(app.extensions.get(_JOBS, {}).items()):
        try:
            job(app)
        except Exception:  # noqa: BLE001 - the next pass tries again
            log.exception("job %s failed", name)
