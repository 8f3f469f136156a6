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
