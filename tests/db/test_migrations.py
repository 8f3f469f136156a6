from __future__ import annotations

from sqlalchemy import inspect

from newsum.db.engine import make_engine
from newsum.db.migrate import current_revision, downgrade, head_revision, upgrade

OWN_TABLES = {
    "newsum_model_versions", "newsum_summaries", "newsum_events", "newsum_editors",
    "newsum_review_records", "newsum_faithfulness_calibrations", "newsum_alembic_version",
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


def test_downgrading_below_the_review_states_keeps_editors_work_published(
    database_url: str,
) -> None:
    """0004 down: approved and edited stay published (done, the editor's text kept), a
    rejected summary becomes failed so that a later run may redo it."""
    from sqlalchemy import text

    engine = make_engine(database_url)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO newsum_model_versions (id, name, adapter_path, base_model, manifest,"
            " metrics, is_active, created_at) VALUES (1, 'v1', '', 'b', '{}', '{}', true,"
            " CURRENT_TIMESTAMP)"))
        for article_id, status, body in ((1, "approved", "As written."),
                                         (2, "edited", "The editor's words."),
                                         (3, "rejected", None)):
            connection.execute(text(
                "INSERT INTO newsum_summaries (article_id, model_version_id, status, text,"
                " attempts, created_at, updated_at) VALUES (:a, 1, :s, :t, 1,"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"a": article_id, "s": status,
                                                           "t": body})
    downgrade(engine, "0003")
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT article_id, status, text FROM newsum_summaries ORDER BY article_id")).all()
    assert [tuple(row) for row in rows] == [
        (1, "done", "As written."), (2, "done", "The editor's words."), (3, "failed", None)]
    assert not {"newsum_editors", "newsum_review_records"} & set(inspect(engine).get_table_names())
    engine.dispose()
