"""An editor's approval or edit is final: no redelivered message, forced backfill or sweep
overwrites it, on SQLite and PostgreSQL, unless someone asks with ``override_review``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import torch
from sqlalchemy import Engine, select, update

from harness.newsroom import add_version, insert_articles
from harness.processes import run_cli
from newsum.broker.message import SummarizeMessage
from newsum.config import Settings
from newsum.db.editors import add_editor
from newsum.db.engine import transaction
from newsum.db.models import (
    GENERATED_STATES,
    ReviewAction,
    Summary,
    SummaryStatus,
    articles_table,
)
from newsum.db.queries import (
    SummaryRecord,
    claim_for_queue,
    content_hash,
    upsert_summaries,
    upsert_summary,
)
from newsum.db.review import ReviewChange, apply_review, lock_summary
from newsum.queue.backfill import BackfillOptions, run_backfill
from newsum.worker import batch
from newsum.worker.batch import summarize_requests
from newsum.worker.runtime import ModelRuntime
from newsum.worker.sweep import sweep
from tests.broker.test_enqueue import queued_messages

EARLIER = datetime.now(UTC) - timedelta(hours=2)
STORIES = {
    1: ("Ferry service resumes", "The harbour ferry runs again from Monday after repairs."),
    2: ("Library extends hours", "The central library will stay open until nine on weekdays."),
    3: ("Market moves indoors", "The Saturday market moves into the old station hall."),
    4: ("Bridge closed for paint", "The river bridge closes for two weeks of painting."),
    5: ("Choir wins prize", "The school choir won first prize at the regional festival."),
    6: ("New bus stop", "A new bus stop opens outside the hospital next week."),
}
APPROVED_TEXT = "The harbour ferry runs again from Monday."
EDITED_TEXT = "The central library stays open until nine on weekdays."


@pytest.fixture(scope="module")
def runtime() -> ModelRuntime:
    torch.set_num_threads(1)
    return ModelRuntime(Settings(precision="fp32", device="cpu"))


def newsroom(engine: Engine, settings: Settings, base_model: str = "no-model-here") -> int:
    """Six articles: 1 approved, 2 edited, 3 and 4 rejected, 5 done, 6 never summarised;
    articles 1 and 4 were edited in the CMS after their review. Returns the version id."""
    version_id = add_version(engine, base_model=base_model)
    insert_articles(engine, settings, [
        {"id": i, "title": title, "body": body, "published_at": EARLIER, "updated_at": EARLIER}
        for i, (title, body) in STORIES.items()
    ])
    with transaction(engine) as session:
        for i, (title, body) in STORIES.items():
            if i == 6:
                continue
            upsert_summary(session, SummaryRecord(
                article_id=i, model_version_id=version_id,
                status=SummaryStatus.DONE if i == 5 else SummaryStatus.NEEDS_REVIEW,
                text=f"Generated summary {i} naming Oslo.",
                findings=[{"kind": "unsupported_name", "value": "Oslo"}],
                content_hash=content_hash(title, body), article_updated_at=EARLIER,
            ))
        editor = add_editor(session, "ana", "not-a-real-hash")
        for i, change in (
            (1, ReviewChange(ReviewAction.APPROVE, editor)),
            (2, ReviewChange(ReviewAction.EDIT, editor, text=EDITED_TEXT)),
            (3, ReviewChange(ReviewAction.REJECT, editor)),
            (4, ReviewChange(ReviewAction.REJECT, editor)),
        ):
            apply_review(session, lock_summary(session, i, version_id), change)
        session.execute(update(Summary).where(Summary.article_id == 1).values(text=APPROVED_TEXT))
    table = articles_table(settings.articles)
    with engine.begin() as connection:
        connection.execute(
            update(table).where(table.c.id.in_([1, 4]))
            .values(body=table.c.body + " Updated.", updated_at=datetime.now(UTC))
        )
    return version_id


def summaries(engine: Engine) -> dict[int, Summary]:
    with transaction(engine) as session:
        return {row.article_id: row for row in session.scalars(select(Summary))}


def queued_ids(settings: Settings) -> dict[int, dict]:
    return {m["kwargs"]["article_id"]: m["kwargs"] for m in queued_messages(settings)}


def run_batch(engine: Engine, settings: Settings, runtime: ModelRuntime,
              messages: list[SummarizeMessage]):  # type: ignore[no-untyped-def]
    return summarize_requests(messages, engine=engine, articles=articles_table(settings.articles),
                              runtime=runtime, settings=settings)


def assert_editors_work_kept(engine: Engine) -> None:
    rows = summaries(engine)
    assert (rows[1].status, rows[1].text) == (SummaryStatus.APPROVED, APPROVED_TEXT)
    assert (rows[2].status, rows[2].text) == (SummaryStatus.EDITED, EDITED_TEXT)
    assert rows[1].queued_at is None and rows[2].queued_at is None


def test_a_redelivered_message_even_forced_leaves_approved_and_edited_summaries_alone(
    engine: Engine, worker_settings: Settings, runtime: ModelRuntime
) -> None:
    version_id = newsroom(engine, worker_settings)
    with transaction(engine) as session:
        claim_for_queue(session, [1, 2], version_id, stale_after=timedelta(hours=1))
    messages = [SummarizeMessage(article_id=i, model_version_id=version_id, force=force)
                for i in (1, 2) for force in (False, True)]

    outcome = run_batch(engine, worker_settings, runtime, messages)

    assert (outcome.current, outcome.done, outcome.needs_review, outcome.failed) == (2, 0, 0, 0)
    assert runtime.loads == 0  # nothing was generated
    assert_editors_work_kept(engine)


def test_the_upsert_itself_refuses_to_overwrite_an_editors_row_unless_told_to(
    engine: Engine, worker_settings: Settings
) -> None:
    """A batch planned before the editor acted still cannot write over the editor."""
    version_id = newsroom(engine, worker_settings)
    with transaction(engine) as session:
        claim_for_queue(session, [1, 2], version_id, stale_after=timedelta(hours=1))
    late = [SummaryRecord(article_id=i, model_version_id=version_id, status=status,
                          text="A late generated summary.", reason="late")
            for i in (1, 2) for status in (SummaryStatus.DONE, SummaryStatus.FAILED)]
    with transaction(engine) as session:
        assert [upsert_summary(session, record) for record in late] == [False] * 4
    assert_editors_work_kept(engine)

    with transaction(engine) as session:
        assert upsert_summary(session, SummaryRecord(
            article_id=1, model_version_id=version_id, status=SummaryStatus.DONE,
            text="Regenerated on request.", override_review=True,
        ))
    row = summaries(engine)[1]
    assert (row.status, row.text) == (SummaryStatus.DONE, "Regenerated on request.")


def test_one_bulk_upsert_refuses_each_editors_row_and_writes_the_others(
    engine: Engine, worker_settings: Settings
) -> None:
    """The batch's single write keeps the per-row refusal of upsert_summary."""
    version_id = newsroom(engine, worker_settings)
    with transaction(engine) as session:
        claim_for_queue(session, [1, 2, 5, 6], version_id, stale_after=timedelta(hours=1))
    records = [
        SummaryRecord(article_id=1, model_version_id=version_id, status=SummaryStatus.DONE,
                      text="A late generated summary."),
        SummaryRecord(article_id=2, model_version_id=version_id, status=SummaryStatus.FAILED,
                      reason="late failure"),
        SummaryRecord(article_id=5, model_version_id=version_id,
                      status=SummaryStatus.NEEDS_REVIEW, text="Regenerated 5.",
                      findings=[{"kind": "unsupported_name", "value": "Oslo"}]),
        SummaryRecord(article_id=6, model_version_id=version_id, status=SummaryStatus.DONE,
                      text="New summary 6."),
    ]
    with transaction(engine) as session:
        refused = upsert_summaries(session, records)

    assert [r.article_id for r in refused] == [1, 2]
    assert_editors_work_kept(engine)
    rows = summaries(engine)
    assert (rows[5].status, rows[5].text, rows[5].attempts) == (
        SummaryStatus.NEEDS_REVIEW, "Regenerated 5.", 2)
    assert (rows[6].status, rows[6].text, rows[6].attempts) == (
        SummaryStatus.DONE, "New summary 6.", 1)
    assert all(row.queued_at is None for row in rows.values())

    # Asked explicitly, in the same bulk write as a record that was not.
    with transaction(engine) as session:
        refused = upsert_summaries(session, [
            SummaryRecord(article_id=1, model_version_id=version_id, status=SummaryStatus.DONE,
                          text="Regenerated on request.", override_review=True),
            SummaryRecord(article_id=2, model_version_id=version_id, status=SummaryStatus.DONE,
                          text="Not asked."),
        ])
    assert [r.article_id for r in refused] == [2]
    rows = summaries(engine)
    assert (rows[1].status, rows[1].text) == (SummaryStatus.DONE, "Regenerated on request.")
    assert (rows[2].status, rows[2].text) == (SummaryStatus.EDITED, EDITED_TEXT)


def test_an_editor_acting_while_the_batch_generates_keeps_the_summary(
    engine: Engine, worker_settings: Settings, runtime: ModelRuntime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Planned before the editor acted, the batch's write is refused for that row only."""
    version_id = newsroom(engine, worker_settings)  # a model that cannot load: failures
    generate = batch._generate_for_plan

    def editor_approves_meanwhile(plan, *args, **kwargs):  # type: ignore[no-untyped-def]
        assert {a.id for a in plan.generate} == {5, 6}
        with transaction(engine) as session:
            editor = add_editor(session, "bo", "not-a-real-hash")
            apply_review(session, lock_summary(session, 5, version_id),
                         ReviewChange(ReviewAction.APPROVE, editor))
        return generate(plan, *args, **kwargs)

    monkeypatch.setattr(batch, "_generate_for_plan", editor_approves_meanwhile)
    with transaction(engine) as session:
        claim_for_queue(session, [5, 6], version_id, stale_after=timedelta(hours=1))
    outcome = run_batch(engine, worker_settings, runtime, [
        SummarizeMessage(article_id=i, model_version_id=version_id, force=True) for i in (5, 6)
    ])

    assert (outcome.failed, outcome.current) == (1, 1), outcome
    rows = summaries(engine)
    assert (rows[5].status, rows[5].text) == (SummaryStatus.APPROVED,
                                              "Generated summary 5 naming Oslo.")
    assert rows[6].status is SummaryStatus.FAILED
    assert rows[5].queued_at is None and rows[6].queued_at is None


def test_backfill_force_and_the_sweeper_queue_no_reviewed_summary(
    engine: Engine, worker_settings: Settings
) -> None:
    newsroom(engine, worker_settings)

    forced = run_cli(worker_settings, "backfill", "--force")
    assert forced.returncode == 0, forced.stderr
    # Everything but the approved and the edited one; rejected 3 too, since forced.
    assert set(queued_ids(worker_settings)) == {3, 4, 5, 6}

    assert_editors_work_kept(engine)


def test_the_sweeper_queues_what_changed_but_not_an_approved_summary_of_an_edited_article(
    engine: Engine, worker_settings: Settings
) -> None:
    newsroom(engine, worker_settings)
    report = sweep(worker_settings)
    # New (6) and edited since its rejection (4); never 1, approved before its article
    # was edited: an editor's word stands until someone overrides it.
    assert set(queued_ids(worker_settings)) == {4, 6}
    assert report.queued == 2
    plain = run_backfill(worker_settings, BackfillOptions())
    assert (plain.queued, plain.already_queued) == (0, 2)


def test_override_review_queues_and_regenerates_an_editors_summary(
    engine: Engine, worker_settings: Settings, runtime: ModelRuntime, tiny_model_dir: Path
) -> None:
    version_id = newsroom(engine, worker_settings, base_model=str(tiny_model_dir))

    report = run_backfill(worker_settings, BackfillOptions(override_review=True))
    queued = queued_ids(worker_settings)
    # The approved summary of an article edited since is stale once protection is lifted;
    # the edited summary of an unchanged article stays current (no --force).
    assert set(queued) == {1, 4, 6} and report.queued == 3
    assert all(kwargs["override_review"] for kwargs in queued.values())

    overriding = [SummarizeMessage(article_id=i, model_version_id=version_id,
                                   override_review=True, force=(i == 2)) for i in (1, 2)]
    outcome = run_batch(engine, worker_settings, runtime, overriding)

    assert outcome.done + outcome.needs_review == 2, outcome
    rows = summaries(engine)
    for i, old in ((1, APPROVED_TEXT), (2, EDITED_TEXT)):
        assert rows[i].status in GENERATED_STATES and rows[i].text not in (None, old)


def test_enqueue_override_review_travels_in_the_message_only_when_asked(
    engine: Engine, worker_settings: Settings
) -> None:
    newsroom(engine, worker_settings)
    assert run_cli(worker_settings, "enqueue", "5").returncode == 0
    assert run_cli(worker_settings, "enqueue", "--override-review", "1").returncode == 0
    queued = queued_ids(worker_settings)
    assert "override_review" not in queued[5]
    assert queued[1]["override_review"] is True
