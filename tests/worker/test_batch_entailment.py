"""A batch with an entailment model configured: the model is really used, once per process,
at the threshold in force (the latest calibration, unless a setting overrides it)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from sqlalchemy import Engine, select

from harness.newsroom import add_version, insert_articles
from newsum.broker.message import SummarizeMessage
from newsum.config import Settings
from newsum.db.calibration import CalibrationResult, record_calibration
from newsum.db.engine import transaction
from newsum.db.events import EventKind
from newsum.db.models import ServiceEvent, Summary, SummaryStatus, articles_table
from newsum.worker.batch import summarize_requests
from newsum.worker.runtime import ModelRuntime
from tests.audit.stories import HARBOUR, STORM


def run(engine: Engine, settings: Settings, runtime: ModelRuntime, version_id: int,
        force: bool = False):  # type: ignore[no-untyped-def]
    requests = [SummarizeMessage(article_id=i, model_version_id=version_id, force=force)
                for i in (1, 2)]
    return summarize_requests(requests, engine=engine, articles=articles_table(settings.articles),
                              runtime=runtime, settings=settings)


def calibrate(engine: Engine, model: str, threshold: float) -> None:
    with transaction(engine) as session:
        record_calibration(session, CalibrationResult(
            model=model, threshold=threshold, target_precision=0.97, precision=1.0,
            published=0.5, with_rules=True, source="file test.jsonl (2 labelled)",
            fingerprint="0" * 64, labelled=2, faithful=1,
        ))


@pytest.fixture
def newsroom(engine: Engine, settings_for, tiny_model_dir: Path):  # type: ignore[no-untyped-def]
    torch.set_num_threads(2)
    url = engine.url.render_as_string(hide_password=False)
    version = add_version(engine, base_model=str(tiny_model_dir))
    insert_articles(engine, settings_for(url), [
        {"id": 1, "title": "Harbour", "body": HARBOUR},
        {"id": 2, "title": "Storm", "body": STORM},
    ])
    return url, version


def rows(engine: Engine) -> dict[int, Summary]:
    with transaction(engine) as session:
        return {row.article_id: row for row in session.scalars(select(Summary))}


def test_a_configured_model_scores_each_summary_at_the_calibrated_threshold(
    engine: Engine, newsroom, settings_for, tiny_classifier_dir: Path  # type: ignore[no-untyped-def]
) -> None:
    url, version = newsroom
    model = str(tiny_classifier_dir)
    settings = settings_for(url, precision="fp32", device="cpu", faithfulness_model=model)
    runtime = ModelRuntime(settings)
    # A calibration that no score reaches: every generated summary is held for review.
    calibrate(engine, model, 1.0)
    outcome = run(engine, settings, runtime, version)
    assert outcome.done == 0 and outcome.needs_review == 2
    for row in rows(engine).values():
        assert row.status is SummaryStatus.NEEDS_REVIEW
        assert row.faithfulness_score is not None and 0 <= row.faithfulness_score < 1
        entailment = [f for f in row.findings or [] if f["kind"] == "not_entailed"]
        assert entailment and all(f["evidence"] for f in entailment)
    # An explicit threshold overrides the calibration: no summary is held by the model.
    lenient = settings_for(url, precision="fp32", device="cpu", faithfulness_model=model,
                           faithfulness_threshold=0.0)
    run(engine, lenient, runtime, version, force=True)
    for row in rows(engine).values():
        assert not [f for f in row.findings or [] if f["kind"] == "not_entailed"]
        assert row.faithfulness_score is not None
    assert (runtime.loads, runtime.entailment_loads) == (1, 1)  # once per process


def test_without_a_model_the_rules_alone_judge_and_no_score_is_stored(
    engine: Engine, newsroom, settings_for  # type: ignore[no-untyped-def]
) -> None:
    url, version = newsroom
    settings = settings_for(url, precision="fp32", device="cpu")
    runtime = ModelRuntime(settings)
    run(engine, settings, runtime, version)
    assert all(row.faithfulness_score is None for row in rows(engine).values())
    assert runtime.entailment_loads == 0


def test_a_model_that_cannot_load_fails_the_articles_before_generating(
    engine: Engine, newsroom, settings_for, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    url, version = newsroom
    settings = settings_for(url, precision="fp32", device="cpu",
                            faithfulness_model=str(tmp_path / "no-such-model"))
    outcome = run(engine, settings, ModelRuntime(settings), version)
    assert outcome.failed == 2
    for row in rows(engine).values():
        assert row.status is SummaryStatus.FAILED and row.text is None
        assert "faithfulness model" in (row.reason or "")
    with transaction(engine) as session:
        events = session.scalars(select(ServiceEvent)).all()
    assert [e.kind for e in events] == [EventKind.MODEL_LOAD_FAILED.value]
    assert "faithfulness model" in events[0].detail
