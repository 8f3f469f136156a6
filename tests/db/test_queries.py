from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, MetaData, event, select

from newsum.config import ArticleSource
from newsum.db.articles import create_articles_table
from newsum.db.engine import make_engine, session_factory, transaction
from newsum.db.migrate import upgrade
from newsum.db.models import Summary, SummaryStatus, articles_table, utcnow
from newsum.db.queries import (
    SummaryRecord,
    claim_for_queue,
    claim_rows_for_queue,
    confirm_claims,
    counts_by_status,
    fetch_articles,
    record_failure,
    release_claims,
    stream_unsummarized_ids,
    upsert_summaries,
    upsert_summary,
)
from newsum.db.registry import (
    active_model_version,
    promote_model_version,
    register_model_version,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _add_articles(engine: Engine, source: ArticleSource, count: int, section: str = "sport"):
    table = create_articles_table(engine, source)
    with engine.begin() as connection:
        connection.execute(
            table.insert(),
            [
                {
                    "id": i,
                    "title": f"Match {i}",
                    "body": f"The home side won match {i} by two goals.",
                    "section": section if i % 2 else "economy",
                    "published_at": T0 + timedelta(days=i),
                    "updated_at": T0 + timedelta(days=i),
                }
                for i in range(1, count + 1)
            ],
        )
    return table


def _version(engine: Engine, name: str = "v1") -> int:
    with transaction(engine) as session:
        return register_model_version(
            session, name=name, adapter_path="/adapters/v1", base_model="tiny"
        ).id


def _done(article_id: int, version_id: int, text: str = "A summary.", **fields) -> SummaryRecord:
    return SummaryRecord(
        article_id=article_id,
        model_version_id=version_id,
        status=SummaryStatus.DONE,
        text=text,
        content_hash="h",
        article_updated_at=fields.pop("article_updated_at", T0 + timedelta(days=article_id)),
        **fields,
    )


def _summaries(engine: Engine) -> list[Summary]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(Summary).order_by(Summary.article_id)))


def test_upserting_the_same_summary_twice_keeps_one_row(engine: Engine) -> None:
    version = _version(engine)
    for text in ("First.", "Second."):
        with transaction(engine) as session:
            upsert_summary(session, _done(1, version, text=text))
    rows = _summaries(engine)
    assert [(r.article_id, r.text, r.attempts) for r in rows] == [(1, "Second.", 2)]


def test_a_failure_after_success_keeps_the_summary_text(engine: Engine) -> None:
    version = _version(engine)
    with transaction(engine) as session:
        upsert_summary(session, _done(1, version, text="Kept."))
    with transaction(engine) as session:
        record_failure(session, 1, version, "generation crashed")
    (row,) = _summaries(engine)
    assert (row.status, row.reason) == (SummaryStatus.FAILED, "generation crashed")
    assert row.text == "Kept."


def test_a_bulk_upsert_leaves_the_rows_that_one_upsert_per_record_leaves(
    engine: Engine,
) -> None:
    """Over rows in every state a batch meets: new, done, held, failed, skipped, claimed."""
    one_by_one, bulk = _version(engine, "one-by-one"), _version(engine, "bulk")

    def first(version: int) -> list[SummaryRecord]:
        return [
            _done(1, version, text="Old 1."),
            _done(2, version, text="Old 2.", input_tokens=9),
            SummaryRecord(article_id=3, model_version_id=version,
                          status=SummaryStatus.SKIPPED, reason="empty article text",
                          content_hash="old"),
            SummaryRecord(article_id=4, model_version_id=version,
                          status=SummaryStatus.FAILED, reason="crashed"),
        ]

    def then(version: int) -> list[SummaryRecord]:
        return [
            SummaryRecord(article_id=1, model_version_id=version,
                          status=SummaryStatus.FAILED, reason="crashed", content_hash="new"),
            _done(2, version, text="New 2.", findings=[{"kind": "too_long", "value": "9"}],
                  faithfulness_score=0.5, input_tokens=7, output_tokens=3, latency_ms=1.5),
            SummaryRecord(article_id=3, model_version_id=version,
                          status=SummaryStatus.SKIPPED, reason="empty article text",
                          content_hash="new"),
            SummaryRecord(article_id=4, model_version_id=version,
                          status=SummaryStatus.NEEDS_REVIEW, text="Held 4.",
                          findings=[{"kind": "unsupported_name", "value": "Oslo"}]),
            _done(5, version, text="New 5."),
            SummaryRecord(article_id=6, model_version_id=version,
                          status=SummaryStatus.FAILED, reason="prompt too long"),
        ]

    for version in (one_by_one, bulk):
        with transaction(engine) as session:
            for record in first(version):
                upsert_summary(session, record)
            claim_for_queue(session, [1, 2, 3, 4, 5, 6], version,
                            stale_after=timedelta(hours=1))
    with transaction(engine) as session:
        assert all(upsert_summary(session, record) for record in then(one_by_one))
    with transaction(engine) as session:
        assert upsert_summaries(session, then(bulk)) == []

    columns = ("article_id", "status", "text", "reason", "findings", "faithfulness_score",
               "content_hash", "article_updated_at", "input_tokens", "output_tokens",
               "latency_ms", "attempts", "queued_at")
    rows = {version: [tuple(getattr(r, c) for c in columns) for r in _summaries(engine)
                      if r.model_version_id == version] for version in (one_by_one, bulk)}
    assert rows[bulk] == rows[one_by_one]
    assert len(rows[bulk]) == 6


def test_a_bulk_upsert_refuses_two_records_for_one_row(engine: Engine) -> None:
    version = _version(engine)
    with transaction(engine) as session, pytest.raises(ValueError, match="same"):
        upsert_summaries(session, [_done(1, version), _done(1, version, text="Again.")])


def test_concurrent_writers_on_postgres_end_with_one_row(postgres_url: str) -> None:
    engine = make_engine(postgres_url, pool_size=10)
    upgrade(engine)
    version = _version(engine)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            barrier.wait()
            for _ in range(5):
                with transaction(engine) as session:
                    upsert_summary(session, _done(42, version, text=f"writer {n}"))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rows = _summaries(engine)
    assert len(rows) == 1
    assert rows[0].attempts == 40
    engine.dispose()


def test_articles_are_read_through_configured_names(engine: Engine) -> None:
    source = ArticleSource(
        table="cms_story",
        id_column="story_id",
        title_column="headline",
        body_column="story_text",
        section_column="desk",
        published_at_column="first_published",
        updated_at_column="last_modified",
    )
    _add_articles(engine, source, 3)
    fresh = articles_table(source, MetaData())
    assert fresh.c.body.name == "story_text"
    with engine.connect() as connection:
        found = fetch_articles(connection, fresh, [1, 3, 99])
    assert sorted(found) == [1, 3]
    assert found[3].title == "Match 3"
    assert found[3].body.startswith("The home side won match 3")
    version = _version(engine)
    assert list(stream_unsummarized_ids(engine, fresh, version, section="sport")) == [1, 3]


def test_stream_skips_current_summaries_and_returns_edited_articles(engine: Engine) -> None:
    table = _add_articles(engine, ArticleSource(), 10)
    version = _version(engine)
    with engine.connect() as connection:
        sixth = fetch_articles(connection, table, [6])[6]
    with transaction(engine) as session:
        for article_id in (2, 3, 4):
            upsert_summary(session, _done(article_id, version))
        record_failure(session, 5, version, "timeout")
        record_failure(
            session, 6, version, "empty article text", status=SummaryStatus.SKIPPED, article=sixth
        )
    with engine.begin() as connection:  # article 3 is edited after it was summarised
        connection.execute(
            table.update().where(table.c.id == 3).values(updated_at=T0 + timedelta(days=30))
        )
    ids = list(stream_unsummarized_ids(engine, table, version, page_size=3))
    assert ids == [1, 3, 5, 7, 8, 9, 10]
    assert list(stream_unsummarized_ids(engine, table, version, include_current=True)) == list(
        range(1, 11)
    )


def test_stream_filters_by_date_range_and_section(engine: Engine) -> None:
    table = _add_articles(engine, ArticleSource(), 10)
    version = _version(engine)
    ids = stream_unsummarized_ids(
        engine,
        table,
        version,
        since=T0 + timedelta(days=3),
        until=T0 + timedelta(days=8),
        section="sport",
    )
    assert list(ids) == [3, 5, 7]


def test_claims_dedupe_queued_ids_until_they_go_stale(engine: Engine) -> None:
    version = _version(engine)
    with transaction(engine) as session:
        first = claim_for_queue(session, [1, 2, 2, 3], version, stale_after=timedelta(hours=1))
    with transaction(engine) as session:
        again = claim_for_queue(session, [1, 2, 3, 4], version, stale_after=timedelta(hours=1))
    with transaction(engine) as session:
        stale = claim_for_queue(session, [1], version, stale_after=timedelta(0))
    assert sorted(first) == [1, 2, 3]
    assert again == [4]
    assert stale == [1]
    with transaction(engine) as session:
        upsert_summary(session, _done(1, version))
        assert claim_for_queue(session, [1], version, stale_after=timedelta(hours=1)) == [1]


def _rows(engine: Engine) -> dict[int, tuple[str, datetime | None]]:
    """(status, claim stamp in UTC) of every summary row, by article id."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(Summary.article_id, Summary.status, Summary.queued_at)).all()
    return {article_id: (str(status), stamp and stamp.replace(tzinfo=UTC))
            for article_id, status, stamp in rows}


def test_one_statement_claims_a_chunk_taking_new_and_stale_ids_and_leaving_queued_ones(
    engine: Engine,
) -> None:
    version = _version(engine)
    hour = timedelta(hours=1)
    long_ago = utcnow() - 2 * hour
    with transaction(engine) as session:
        claim_for_queue(session, [1, 2], version, stale_after=hour)
        claim_for_queue(session, [3], version, stale_after=hour, claimed_at=long_ago)
        upsert_summary(session, _done(4, version))
    before = _rows(engine)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if "newsum_summaries" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with transaction(engine) as session:
            claimed = claim_rows_for_queue(session, [5, 1, 3, 4, 5, 2, 6] + list(range(7, 500)),
                                           version, stale_after=hour)
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert len(statements) == 1
    # Claimed once each: the stale claim (3), a done row without a claim (4), new ids and
    # an id repeated in the chunk (5); 1 and 2 stay queued as they were.
    assert sorted(claimed) == [3, 4, 5, 6, *range(7, 500)]
    assert len(set(claimed.values())) == len(claimed)
    after = _rows(engine)
    assert after[1] == before[1] and after[2] == before[2]
    assert after[3][1] > long_ago
    assert after[4][0] == "done" and after[4][1] is not None  # stays readable while redone
    assert after[5][0] == "queued"


def test_confirming_claims_gives_only_rows_still_holding_the_stamp_their_full_lifetime(
    engine: Engine,
) -> None:
    version = _version(engine)
    pending = utcnow() - timedelta(hours=1)
    with transaction(engine) as session:
        claimed = claim_rows_for_queue(session, [1, 2, 3], version,
                                       stale_after=timedelta(hours=2), claimed_at=pending)
    with transaction(engine) as session:
        upsert_summary(session, _done(2, version))  # a worker was quicker than the confirm
    with transaction(engine) as session:
        confirm_claims(session, list(claimed.values()), pending)

    rows = _rows(engine)
    assert rows[2] == ("done", None)
    assert rows[1][1] > pending and rows[3][1] > pending


def test_releasing_claims_drops_rows_the_claim_made_and_keeps_the_others_state(
    engine: Engine,
) -> None:
    version = _version(engine)
    with transaction(engine) as session:
        upsert_summary(session, _done(2, version))
    with transaction(engine) as session:
        claim_for_queue(session, [1, 2, 3], version, stale_after=timedelta(hours=1))
    with transaction(engine) as session:
        release_claims(session, [1, 2], version)

    rows = _rows(engine)
    assert 1 not in rows
    assert rows[2] == ("done", None)
    assert rows[3][0] == "queued" and rows[3][1] is not None
    with transaction(engine) as session:
        assert sorted(claim_for_queue(session, [1, 2, 3], version,
                                      stale_after=timedelta(hours=1))) == [1, 2]


def test_counts_by_status_and_in_queue(engine: Engine) -> None:
    version = _version(engine)
    with transaction(engine) as session:
        claim_for_queue(session, [1, 2, 3], version, stale_after=timedelta(hours=1))
        upsert_summary(session, _done(1, version))
        record_failure(session, 2, version, "empty article text", status=SummaryStatus.SKIPPED)
    with session_factory(engine)() as session:
        counts = {(c.status, c.count) for c in counts_by_status(session)}
    assert counts == {("done", 1), ("skipped", 1), ("queued", 1), ("in queue", 1)}


def test_exactly_one_version_is_active_after_promotions(engine: Engine) -> None:
    _version(engine, "v1")
    _version(engine, "v2")
    with transaction(engine) as session:
        promote_model_version(session, "v1")
    with transaction(engine) as session:
        promote_model_version(session, "v2")
    with session_factory(engine)() as session:
        assert active_model_version(session).name == "v2"
        from newsum.db.models import ModelVersion

        assert session.scalars(select(ModelVersion.name).where(ModelVersion.is_active)).all() == [
            "v2"
        ]
