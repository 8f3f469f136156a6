"""The consumer's subcommands of ``newsum``: worker, beat, reload."""

from __future__ import annotations

from typing import Annotated

import typer

from newsum.cli_params import settings


def worker_command(
    pool: Annotated[
        str, typer.Option(help="prefork (one child, time limits enforced) or solo.")
    ] = "prefork",
    hostname: Annotated[str | None, typer.Option(help="Celery node name.")] = None,
) -> None:
    """Run one summarisation worker: one process per GPU (start one per GPU)."""
    from newsum.broker.app import app, worker_argv

    app.worker_main(worker_argv(settings(), pool=pool, hostname=hostname))


def beat_command() -> None:
    """Run celery beat, which schedules the sweeper (run exactly one per deployment)."""
    from newsum.broker.app import app

    app.start(["beat", "--loglevel", settings().log_level])


def reload_command() -> None:
    """Ask every running worker to load the active model version now."""
    from newsum.worker.runtime import broadcast_reload

    replies = broadcast_reload(settings())
    typer.echo(f"reload sent; {len(replies)} worker(s) answered")


def register(app: typer.Typer) -> None:
    """Attach the consumer's commands to the root newsum app."""
    app.command("worker")(worker_command)
    app.command("beat")(beat_command)
    app.command("reload")(reload_command)
