"""The producers' subcommands of ``newsum``: enqueue, backfill."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from typing import Annotated

import typer

from newsum.cli_params import settings

OVERRIDE_HELP = (
    "Let workers replace summaries an editor approved or edited (never done otherwise,"
    " not even with --force)."
)


def enqueue_command(
    article_ids: Annotated[list[str], typer.Argument(help="Article ids to summarise.")],
    model_version: Annotated[
        str | None, typer.Option(help="Model version name (default: the active one).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Summarise even if already current.")] = False,
    override_review: Annotated[bool, typer.Option(help=OVERRIDE_HELP)] = False,
) -> None:
    """Queue articles for summarisation (an id already queued is not queued twice)."""
    from newsum.broker.enqueue import enqueue
    from newsum.db.articles import parse_article_ids

    ids = parse_article_ids(article_ids)
    result = enqueue(ids, settings=settings(), model_version=model_version, force=force,
                     override_review=override_review)
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
    override_review: Annotated[bool, typer.Option(help=OVERRIDE_HELP)] = False,
    dry_run: Annotated[bool, typer.Option(help="Count what would be queued; queue nothing.")] = (
        False
    ),
) -> None:
    """Queue every article lacking a current summary; re-run it to finish what remains."""
    from newsum.queue.backfill import BackfillOptions, run_backfill

    options = BackfillOptions(
        since=since, until=until, section=section, limit=limit, model_version=model_version,
        force=force, override_review=override_review, dry_run=dry_run,
    )
    report = run_backfill(settings(), options, progress=True)
    typer.echo(report.summary_line())


def register(app: typer.Typer) -> None:
    """Attach the producers' commands to the root newsum app."""
    app.command("enqueue")(enqueue_command)
    app.command("backfill")(backfill_command)
    app.command("flower")(flower_command)


def flower_command() -> None:
    """Start Flower (basic auth) on the broker, showing the summarize queue."""
    from newsum.queue.flower import flower_launch

    launch = flower_launch(settings(), os.environ)
    sys.stdout.flush()
    sys.stderr.flush()
    # Replace this process, so that signals reach Flower directly.
    os.execve(launch.argv[0], launch.argv, launch.env)
