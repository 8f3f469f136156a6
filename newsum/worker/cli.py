"""The worker's subcommands of ``newsum``: worker, beat, enqueue, backfill, reload."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from newsum.errors import InvalidArticleId


def _settings():  # type: ignore[no-untyped-def]
    from newsum.config import get_settings

    return get_settings()


def enqueue_command(
    article_ids: Annotated[list[str], typer.Argument(help="Article ids to summarise.")],
    model_version: Annotated[
        str | None, typer.Option(help="Model version name (default: the active one).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Summarise even if already current.")] = False,
) -> None:
    """Queue articles for summarisation (an id already queued is not queued twice)."""
    from newsum.worker.enqueue import enqueue, parse_article_id

    bad = [value for value in article_ids if not value.strip().isdigit()]
    if bad:
        raise InvalidArticleId(f"article ids must be positive integers, got {', '.join(bad)}")
    ids = [parse_article_id(value) for value in article_ids]
    result = enqueue(ids, settings=_settings(), model_version=model_version, force=force)
    typer.echo(f"queued {len(result.queued)}, already queued {len(result.already_queued)}")


def backfill_command(
    since: Annotated[
        datetime | None, typer.Option(help="Only articles published at or after this time.")
    ] = None,
    until: Annotated[
        datetime | None, typer.Option(help="Only articles published before this time.")
    ] = None,
    section: Annotated[str | None, typer.Option(help="Only articles of this section.")] = None,
    limit: Annotated[int | None, typer.Option(help="Queue at most this many ids.")] = None,
    model_version: Annotated[
        str | None, typer.Option(help="Model version name (default: the active one).")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Re-summarise articles that already have a current summary.")
    ] = False,
    dry_run: Annotated[bool, typer.Option(help="Count what would be queued; queue nothing.")] = (
        False
    ),
) -> None:
    """Queue every article lacking a current summary; re-run it to finish what remains."""
    from newsum.worker.backfill import BackfillOptions, run_backfill

    options = BackfillOptions(
        since=since, until=until, section=section, limit=limit, model_version=model_version,
        force=force, dry_run=dry_run,
    )
    report = run_backfill(_settings(), options, progress=True)
    typer.echo(report.summary_line())


def worker_command(
    pool: Annotated[
        str, typer.Option(help="prefork (one child, time limits enforced) or solo.")
    ] = "prefork",
    hostname: Annotated[str | None, typer.Option(help="Celery node name.")] = None,
) -> None:
    """Run one summarisation worker: one process per GPU (start one per GPU)."""
    from newsum.worker.celery_app import app, worker_argv

    app.worker_main(worker_argv(_settings(), pool=pool, hostname=hostname))


def beat_command() -> None:
    """Run celery beat, which schedules the sweeper (run exactly one per deployment)."""
    from newsum.worker.celery_app import app

    app.start(["beat", "--loglevel", _settings().log_level])


def reload_command() -> None:
    """Ask every running worker to load the active model version now."""
    from newsum.worker.runtime import broadcast_reload

    replies = broadcast_reload(_settings())
    typer.echo(f"reload sent; {len(replies)} worker(s) answered")


def register(app: typer.Typer) -> None:
    """Attach the worker's commands to the root newsum app."""
    from newsum.worker.api_cli import register_api

    register_api(app)  # newsum api, newsum flower
    app.command("enqueue")(enqueue_command)
    app.command("backfill")(backfill_command)
    app.command("worker")(worker_command)
    app.command("beat")(beat_command)
    app.command("reload")(reload_command)
