from __future__ import annotations

from sqlalchemy import inspect

from newsum.db.engine import make_engine
from newsum.db.migrate import current_revision, downgrade, head_revision, upgrade

OWN_TABLES = {
    "newsum_model_versions", "newsum_summaries", "newsum_events", "newsum_editors",
    "newsum_review_records", "newsum_alembic_version",
}


def test_migrations_go_up_and_down_on_both_databases(database_url: str) -> None:
    engine = make_engine(database_url)
    assert current_revision(engine) is None

    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert OWN_TABLES <= set(inspect(engine).get_table_names())

    downgrade(engine, "base")
    assert current_revision(engine) is None
    remaining = set(inspect(engine).get_table_names())
    assert not (OWN_TABLES - {"newsum_alembic_version"}) & remaining

    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_migrations_never_touch_the_cms_article_table(database_url: str) -> None:
    from newsum.config import ArticleSource
    from newsum.db.articles import create_articles_table

    engine = make_engine(database_url)
    create_articles_table(engine, ArticleSource())
    upgrade(engine)
    downgrade(engine, "base")
    assert "articles" in inspect(engine).get_table_names()
    engine.dispose()


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    """Every model change comes with its migration: autogenerate finds nothing to do."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from newsum.db.migrate import VERSION_TABLE
    from newsum.db.models import Base

    engine = make_engine(database_url)
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": VERSION_TABLE, "compare_type": True}
        )
        diff = [d for d in compare_metadata(context, Base.metadata)
                if not (d[0] == "remove_table" and d[1].name != VERSION_TABLE
                        and not d[1].name.startswith("newsum_"))]
    engine.dispose()
    assert diff == []
