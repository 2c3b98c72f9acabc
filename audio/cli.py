"""``lampio audio …``: pre-render the prompt cache, run the background jobs once (for cron)."""
from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from catalogue.db import session_scope
from catalogue.timeutil import utcnow

audio_group = click.Group("audio", help="Speech: the prompt cache, recordings, transcripts.")


@audio_group.command("render")
@click.option("--progress/--no-progress", default=True, help="Show a progress bar.")
@with_appcontext
def render_command(progress: bool) -> None:
    """Render every fixed prompt and the coming two weeks' programme; only what is missing."""
    from . import render
    from .demo_audio import ensure_demo_audio

    app = current_app._get_current_object()  # type: ignore[attr-defined]  # typed Flask, is a LocalProxy
    svc = app.extensions["lampio_audio"]
    made = ensure_demo_audio(app)
    if made:
        click.echo(f"demo recording: audio for {made} session(s)")
    started = time.perf_counter()
    with session_scope(app) as db:
        texts = svc.sentences_to_render(db, utcnow(), None)
    report = render.render_all(svc.cache, texts, progress=progress)
    click.echo(f"{report} in {time.perf_counter() - started:.1f} s")


@audio_group.command("jobs")
@with_appcontext
def jobs_command() -> None:
    """One pass of the background jobs (transcripts, re-rendering, tidying); for cron."""
    from . import jobs

    app = current_app._get_current_object()  # type: ignore[attr-defined]  # typed Flask, is a LocalProxy
    done = jobs.run_once(app)
    click.echo(", ".join(f"{k}: {v}" for k, v in done.items()))
