"""What the recipe's adapter publishes is true, by the fact records, not by the check:
on 200 fresh synthetic articles from a seed it never saw, and on articles written outside
the corpus's templates, through a real worker."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from harness.newsroom import insert_articles, served_version
from harness.processes import WorkerProcess, run_cli, wait_until_final
from newsum.config import Settings
from newsum.modeling.checking import summary_checker
from newsum.modeling.generation import GeneratedSummary, summarize_batch
from newsum.modeling.loading import load_for_inference
from newsum.sandbox.corpus import NewsItem, fact_record, generate_corpus
from newsum.trainer.facts import FactRecord, Lexicon
from newsum.trainer.truth import judge
from tests.adapter_fixtures import DATA_ARTICLES, DATA_SEED
from tests.integration.outside_articles import OUTSIDE_ARTICLES

FRESH_SEED = 23  # neither the pre-training's seed nor the adapter's data


def _lexicon(extra: list[tuple[str | None, tuple[str, ...], FactRecord]]) -> Lexicon:
    """What the judge knows: the adapter's corpus, and ``extra`` articles."""
    corpus = generate_corpus(DATA_ARTICLES, seed=DATA_SEED)
    return Lexicon.build(
        [(i.language, (i.title, i.body, i.summary), fact_record(i.facts)) for i in corpus]
        + extra
    )


@pytest.mark.slow
def test_on_fresh_articles_most_is_published_and_what_is_published_is_true(
    trained_adapter_dir: Path, one_thread: None
) -> None:
    items: list[NewsItem] = generate_corpus(200, seed=FRESH_SEED)
    loaded = load_for_inference(trained_adapter_dir, precision="nf4", device="cpu")
    # The worker's own generation, check and retry.
    results = summarize_batch(
        loaded, [(i.title, i.body) for i in items], batch_size=16,
        checker=summary_checker(loaded.manifest), languages=[i.language for i in items],
    )
    lexicon = _lexicon([(i.language, (i.title, i.body), fact_record(i.facts)) for i in items])
    published: dict[str, list[tuple[bool, str]]] = defaultdict(list)
    for item, result in zip(items, results, strict=True):
        assert isinstance(result, GeneratedSummary) and result.verdict is not None, result
        if result.verdict.passed:
            verdict = judge(result.text, fact_record(item.facts), language=item.language,
                            article=f"{item.title}\n\n{item.body}", lexicon=lexicon)
            published[item.language].append((verdict.true, result.text))
    for language in ("en", "pt-BR"):
        judged = published[language]
        assert len(judged) >= 0.8 * 100, (language, len(judged))
        false = [text for true, text in judged if not true]
        assert len(false) <= 0.02 * len(judged), (language, false)


@pytest.mark.slow
def test_a_real_worker_publishes_only_true_summaries_of_articles_outside_the_templates(
    pg_engine: Engine, pipeline_settings: Settings, trained_adapter_dir: Path, tmp_path: Path
) -> None:
    settings = pipeline_settings
    version_id = served_version(pg_engine, "adapter", trained_adapter_dir)
    now = datetime.now(UTC)
    insert_articles(pg_engine, settings, [
        {key: article[key] for key in ("id", "title", "body", "language")}
        | {"published_at": now, "updated_at": now}
        for article in OUTSIDE_ARTICLES
    ])
    ids = [int(article["id"]) for article in OUTSIDE_ARTICLES]  # type: ignore[call-overload]
    worker = WorkerProcess(settings, tmp_path / "worker.log").start()
    try:
        worker.wait_ready()
        assert run_cli(settings, "enqueue", *map(str, ids)).returncode == 0
        rows = wait_until_final(pg_engine, ids, version_id, worker=worker, timeout=600)
    finally:
        worker.stop()

    lexicon = _lexicon([(str(a["language"]), (str(a["title"]), str(a["body"])),
                         a["facts"]) for a in OUTSIDE_ARTICLES])  # type: ignore[misc]
    by_id = {int(a["id"]): a for a in OUTSIDE_ARTICLES}  # type: ignore[call-overload]
    outcome = []
    for article_id, row in sorted(rows.items()):
        article = by_id[article_id]
        verdict = judge(row.text or "", article["facts"], language=str(article["language"]),  # type: ignore[arg-type]
                        article=f"{article['title']}\n\n{article['body']}", lexicon=lexicon)
        outcome.append((article_id, str(row.status), verdict.true, row.text, row.findings))
    assert {status for _, status, *_ in outcome} <= {"done", "needs_review"}, outcome
    # Every summary published is true by its article's record ...
    assert all(true for _, status, true, *_ in outcome if status == "done"), outcome
    # ... and every one held says why.
    assert all(findings for _, status, _, _, findings in outcome if status == "needs_review")
