"""Test data for the worker: registered model versions and articles in the newsroom table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from newsum.config import Settings
from newsum.db.articles import create_articles_table
from newsum.db.engine import transaction
from newsum.db.registry import promote_model_version, register_model_version


def add_version(engine: Engine, name: str = "v1", *, adapter_path: str = "",
                base_model: str = "tiny-base", promote: bool = True) -> int:
    """Register (and by default promote) a model version; return its id."""
    with transaction(engine) as session:
        version = register_model_version(
            session, name=name, adapter_path=adapter_path, base_model=base_model
        )
        if promote:
            promote_model_version(session, name)
        return version.id


def insert_articles(engine: Engine, settings: Settings, rows: list[dict]) -> None:
    """Insert article rows (id, title, body, ...) into the embedded article table."""
    table = create_articles_table(engine, settings.articles)
    now = datetime.now(UTC)
    full = [
        {
            "title": None, "body": None, "section": "news", "language": "en", "url": None,
            "published_at": now - timedelta(minutes=5), "updated_at": now - timedelta(minutes=5),
            **row,
        }
        for row in rows
    ]
    with engine.begin() as connection:
        connection.execute(table.insert(), full)


def served_version(engine: Engine, name: str, adapter_dir: Path) -> int:
    """Register the trained adapter (on the base its manifest names) and promote it."""
    from newsum.modeling.manifest import AdapterManifest

    manifest = AdapterManifest.load(adapter_dir)
    return add_version(engine, name, adapter_path=str(adapter_dir), base_model=manifest.base_model)


def hold_for_review(engine: Engine, settings: Settings, version_id: int,
                    summaries: dict[int, tuple[str, list[dict[str, str]]]]) -> None:
    """Store generated summaries that wait in needs_review: {article id: (text, findings)}.

    Each is recorded as made from its article as it is now (content hash, updated_at).
    """
    from sqlalchemy import select

    from newsum.db.models import SummaryStatus, articles_table
    from newsum.db.queries import SummaryRecord, content_hash, upsert_summary

    table = articles_table(settings.articles)
    with transaction(engine) as session:
        articles = {
            row.id: row for row in session.execute(
                select(table.c.id, table.c.title, table.c.body, table.c.updated_at)
                .where(table.c.id.in_(list(summaries)))
            )
        }
        for article_id, (text, findings) in summaries.items():
            article = articles[article_id]
            upsert_summary(session, SummaryRecord(
                article_id=article_id, model_version_id=version_id,
                status=SummaryStatus.NEEDS_REVIEW, text=text, findings=findings,
                content_hash=content_hash(article.title, article.body),
                article_updated_at=article.updated_at,
            ))


def add_editor_account(engine: Engine, name: str, password: str) -> int:
    """An active editor account (what `newsum editors add` makes); returns its id."""
    from newsum.db.editors import add_editor
    from newsum.review.logins import hash_password

    with transaction(engine) as session:
        return add_editor(session, name, hash_password(password)).id


def add_editor_token(engine: Engine, name: str, label: str = "") -> str:
    """A new API token for the editor (what `newsum editors token NAME` prints)."""
    from newsum.db.editors import issue_token

    with transaction(engine) as session:
        return issue_token(session, name, label).secret
