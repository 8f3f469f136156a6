"""End to end on PostgreSQL: the CMS calls a real ``newsum api``, a real worker summarises,
and the CMS reads each summary back through the API: exactly one per article."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from harness.api import METRICS_TOKEN, bearer, running_api, signed
from harness.newsroom import add_version, insert_articles
from harness.processes import WorkerProcess, all_summaries, wait_until_final
from newsum.config import Settings
from newsum.db.models import GENERATED_STATES

STORY = (
    "The city library will open on Sundays from {n} March, the council said, after "
    "volunteers offered to staff the reading rooms. The change costs nothing extra."
)
IDS = range(1, 6)




def test_articles_posted_to_the_api_end_with_exactly_one_summary_each(
    pg_engine: Engine, pipeline_settings: Settings, tiny_model_dir: Path, tmp_path: Path
) -> None:
    settings = pipeline_settings
    version_id = add_version(pg_engine, "tiny-base", base_model=str(tiny_model_dir))
    now = datetime.now(UTC)
    insert_articles(pg_engine, settings, [
        {"id": i, "title": f"Library {i}", "body": STORY.format(n=i), "published_at": now,
         "updated_at": now}
        for i in IDS
    ])
    worker = WorkerProcess(settings, tmp_path / "worker.log").start()
    try:
        with running_api(settings) as api:
            # Each article announced twice (a CMS webhook retried), signed and by token.
            for article_id in IDS:
                path = f"/articles/{article_id}/summarize"
                first = httpx.post(api + path, headers=signed("POST", path), timeout=15)
                again = httpx.post(api + path, headers=bearer(), timeout=15)
                assert first.status_code == again.status_code == 202, (first.text, again.text)
            unknown = httpx.post(api + "/articles/999/summarize", headers=bearer(), timeout=15)
            assert unknown.status_code == 404

            worker.wait_ready()
            wait_until_final(pg_engine, IDS, version_id)
            for article_id in IDS:
                read = httpx.get(f"{api}/articles/{article_id}/summary", headers=bearer(),
                                 timeout=15).json()
                assert read["status"] in ("done", "needs_review") and not read["in_queue"], read
                assert read["text"] and read["model_version"] == "tiny-base"

            metrics = httpx.get(api + "/metrics", headers=bearer(METRICS_TOKEN), timeout=15).text
    finally:
        worker.stop()

    summaries = all_summaries(pg_engine)
    assert [s.article_id for s in summaries] == list(IDS)
    assert all(s.status in GENERATED_STATES and s.attempts == 1 for s in summaries)
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
    }
    assert sum(
        samples.get(("newsum_summaries", (("model_version", "tiny-base"), ("status", state))), 0)
        for state in ("done", "needs_review")
    ) == 5
    assert samples[("newsum_queue_depth", (("queue", "summarize"),))] == 0
    assert samples[("newsum_in_flight", ())] == 0
