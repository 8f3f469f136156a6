"""The ``newsum`` command: one entry point, one subcommand per job.

Errors a user can act on (:class:`~newsum.errors.NewsumError`) print as one line on
stderr with exit status 1, never as a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from newsum.cli_params import settings
from newsum.config import get_settings
from newsum.errors import NewsumError

app = typer.Typer(
    name="newsum",
    help="Summarise news articles with a fine-tuned language model.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Migrate newsum's own tables.", no_args_is_help=True)
articles_app = typer.Typer(help="The newsroom's articles.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(articles_app, name="articles")


@app.callback()
def root(
    config: Annotated[
        Path | None,
        typer.Option(help="TOML settings file (default: ./newsum.toml when present)."),
    ] = None,
) -> None:
    """newsum: batch summarisation of news articles."""
    if config is not None:
        if not config.is_file():
            raise NewsumError(f"{config}: no such settings file")
        # Exported so that every process newsum starts (worker, beat) reads the same file.
        os.environ["NEWSUM_CONFIG_FILE"] = str(config)
        get_settings.cache_clear()
    # Read and validate now: a bad setting is one clear line before any work starts.
    token = settings().hf_token
    if token is not None:
        # The hub library reads HF_TOKEN itself, in this process and every one it starts
        # (worker children, beat), for gated base models such as Llama 2.
        os.environ.setdefault("HF_TOKEN", token.get_secret_value())


@app.command("config")
def show_config(
    table: Annotated[
        bool, typer.Option(help="Print every setting with its default and help instead.")
    ] = False,
) -> None:
    """Print the effective settings as JSON, secrets masked."""
    if table:
        from newsum.config import settings_table

        typer.echo(settings_table())
        return
    typer.echo(json.dumps(settings().masked(), indent=2, sort_keys=True))


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Create or migrate newsum's tables up to REVISION."""
    from newsum.db.engine import make_engine
    from newsum.db.migrate import current_revision, upgrade

    engine = make_engine(settings().database_url)
    upgrade(engine, revision)
    typer.echo(f"database at revision {current_revision(engine)}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()] = "-1") -> None:
    """Migrate newsum's tables down to REVISION ('base' removes them)."""
    from newsum.db.engine import make_engine
    from newsum.db.migrate import current_revision, downgrade

    engine = make_engine(settings().database_url)
    downgrade(engine, revision)
    typer.echo(f"database at revision {current_revision(engine) or 'base'}")


@db_app.command("current")
def db_current() -> None:
    """Print the revision of the database and the newest one this version ships."""
    from newsum.db.engine import make_engine
    from newsum.db.migrate import current_revision, head_revision

    engine = make_engine(settings().database_url)
    typer.echo(f"current: {current_revision(engine) or 'base'} (head: {head_revision()})")


@articles_app.command("import")
def articles_import(
    path: Annotated[Path, typer.Argument(help="A .jsonl or .csv file of articles.")],
    skip_invalid: Annotated[
        bool, typer.Option(help="Import the valid lines and report the others.")
    ] = False,
) -> None:
    """Insert or update articles from a JSONL or CSV file, in one transaction."""
    from newsum.db.articles import import_articles
    from newsum.db.engine import check_connection, make_engine

    engine = make_engine(settings().database_url)
    check_connection(engine)
    report = import_articles(engine, settings().articles, path, skip_invalid=skip_invalid)
    typer.echo(
        f"{path}: inserted {report.inserted}, updated {report.updated},"
        f" rejected {len(report.rejected)}"
    )
    if report.rejected:
        typer.echo(f"rejected: {report.rejected_lines()}", err=True)


@app.command("status")
def status() -> None:
    """Summaries by model version and state."""
    from newsum.status import collect_status, format_status

    typer.echo(format_status(collect_status(settings())))


@app.command("api")
def api(
    host: Annotated[str | None, typer.Option(help="Bind address (NEWSUM_API_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (NEWSUM_API_PORT).")] = None,
) -> None:
    """Serve the authenticated HTTP API the CMS calls (and the editors' review page)."""
    import uvicorn

    from newsum.server import create_app

    config = settings()
    uvicorn.run(
        create_app(config),
        host=host or config.api_host,
        port=port or config.api_port,
        log_level=config.log_level.lower(),
        server_header=False,
    )


def _register_subcommands() -> None:
    """Attach each package's commands (each imports its heavy modules lazily)."""
    from newsum.audit.cli import register as register_audit
    from newsum.queue.cli import register as register_queue
    from newsum.review.cli import register as register_review
    from newsum.sandbox.cli import register as register_sandbox
    from newsum.trainer.cli import register as register_trainer
    from newsum.worker.cli import register as register_worker

    register_trainer(app)
    register_worker(app)
    register_queue(app)
    register_review(app)
    register_sandbox(app)
    register_audit(app)


def main() -> None:
    """Console entry point (typer handles usage errors; newsum's own errors end here)."""
    _register_subcommands()
    try:
        app()
    except NewsumError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
