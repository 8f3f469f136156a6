"""Only what its article supports is published: on PostgreSQL, a real worker checks every
generated summary, holds an unfaithful one in ``needs_review`` with its findings, and the
API, ``newsum status`` and ``/metrics`` say so."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import Engine

from harness.api import METRICS_TOKEN, bearer, running_api
from harness.newsroom import add_version, insert_articles, served_version
from harness.processes import WorkerProcess, run_cli, wait_until_final
from newsum.config import Settings
from newsum.modeling.faithfulness import ArticleText, Finding, LengthBounds, check_summary
from newsum.modeling.manifest import AdapterManifest
from newsum.sandbox.corpus import generate_corpus

# Two words: nothing in it to name. Whatever a model writes of it is held: it names what
# the article lacks, or is too short or too close to the article to be a summary.
BARE = {"id": 1, "title": "Rain", "body": "It rained."}


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def test_a_summary_naming_what_its_article_lacks_waits_for_review_with_its_findings(
    pg_engine: Engine, pipeline_settings: Settings, tiny_model_dir: Path, tmp_path: Path
) -> None:
    settings = pipeline_settings
    version_id = add_version(pg_engine, "tiny-base", base_model=str(tiny_model_dir))
    now = datetime.now(UTC)
    insert_articles(pg_engine, settings, [{**BARE, "published_at": now, "updated_at": now}])
    worker = WorkerProcess(settings, tmp_path / "worker.log").start()
    try:
        with running_api(settings) as api:
            posted = httpx.post(f"{api}/articles/1/summarize", headers=bearer(), timeout=15)
            assert posted.status_code == 202, posted.text
            worker.wait_ready()
            row = wait_until_final(pg_engine, [1], version_id, worker=worker)[1]
            read = httpx.get(f"{api}/articles/1/summary", headers=bearer(), timeout=15).json()
            metrics = httpx.get(f"{api}/metrics", headers=bearer(METRICS_TOKEN), timeout=15).text
    finally:
        worker.stop()

    assert str(row.status) == "needs_review", (row.status, row.text)
    assert read["status"] == "needs_review" and read["publishable"] is False
    assert read["text"] == row.text
    assert [Finding.from_dict(f) for f in read["findings"]] == [
        Finding.from_dict(f) for f in row.findings or []
    ]
    # Each finding names something the article really lacks.
    assert read["findings"], read
    article = _folded(BARE["title"] + " " + BARE["body"])
    word_kinds = {"unsupported_name", "unsupported_number", "unsupported_date", "unsupported_quote"}
    for finding in read["findings"]:
        assert {"kind", "value"} <= set(finding) <= {"kind", "value", "evidence"}
        if finding["kind"] in word_kinds:
            assert _folded(finding["value"]) not in article, finding
        if "evidence" in finding:  # the article passage the check compared against
            assert _folded(finding["evidence"]) in _folded(" ".join(article.split())), finding
    # The verdict stored is the check's verdict on the stored text, nothing else.
    # (with the budget the worker judged it by: the base model's default manifest)
    bounds = LengthBounds.from_max_tokens(AdapterManifest(base_model="tiny").max_new_tokens)
    verdict = check_summary(
        ArticleText(BARE["title"], BARE["body"], None), row.text or "", bounds=bounds
    )
    assert not verdict.passed
    kinds = {finding["kind"] for finding in read["findings"]}
    assert 'newsum_summaries{model_version="tiny-base",status="needs_review"} 1.0' in metrics
    for kind in kinds:
        assert f'newsum_review_findings{{kind="{kind}",model_version="tiny-base"}} 1.0' in metrics

    status = run_cli(settings, "status")
    assert status.returncode == 0, status.stderr
    assert "needs_review" in status.stdout
    review_section = status.stdout.partition("why summaries wait in needs_review")[2]
    assert all(kind in review_section for kind in kinds)


def test_the_trained_adapter_publishes_faithful_summaries_of_held_out_articles(
    pg_engine: Engine, pipeline_settings: Settings, trained_adapter_dir: Path, tmp_path: Path
) -> None:
    """The fine-tuned adapter copies names and figures from the article: what it writes
    passes the check and is published; anything it gets wrong is held, never done."""
    settings = pipeline_settings
    version_id = served_version(pg_engine, "adapter", trained_adapter_dir)
    bounds = LengthBounds.from_max_tokens(AdapterManifest.load(trained_adapter_dir).max_new_tokens)
    items = generate_corpus(8, seed=91)  # not the seed the adapter was trained on
    now = datetime.now(UTC)
    insert_articles(pg_engine, settings, [
        {"id": item.id, "title": item.title, "body": item.body, "language": item.language,
         "published_at": now, "updated_at": now}
        for item in items
    ])
    worker = WorkerProcess(settings, tmp_path / "worker.log").start()
    try:
        worker.wait_ready()
        run_cli(settings, "enqueue", *[str(item.id) for item in items])
        rows = wait_until_final(pg_engine, [item.id for item in items], version_id, worker=worker)
    finally:
        worker.stop()

    by_id = {item.id: item for item in items}
    for article_id, row in rows.items():
        item = by_id[article_id]
        article = ArticleText(item.title, item.body, item.language)
        verdict = check_summary(article, row.text or "", bounds=bounds)
        expected = "done" if verdict.passed else "needs_review"
        assert str(row.status) == expected, (row.text, verdict)
    done = [row for row in rows.values() if str(row.status) == "done"]
    assert len(done) >= len(items) * 0.75, [(r.status, r.text, r.findings) for r in rows.values()]
