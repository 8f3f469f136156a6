"""``newsum demo`` as the README's first command runs it: a real process, offline, with no
option at all, from an empty directory (the demo keeps everything under ./.newsum/demo)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from newsum.config import Settings
from newsum.db.engine import make_engine, session_factory
from newsum.db.models import ModelVersion, Summary, SummaryStatus, articles_table
from newsum.modeling.faithfulness import ArticleText, LengthBounds, check_summary
from newsum.modeling.manifest import AdapterManifest
from newsum.sandbox.demo import DemoConfig

ROOT = Path(__file__).resolve().parents[2]
BACKFILL_LINE = re.compile(
    r"backfill: seen (\d+), queued (\d+), already queued (\d+),"
    r" skipped \(already summarised\) (\d+)"
)


@pytest.mark.slow
@pytest.mark.timeout(1800)  # the demo's full defaults: minutes, more on a busy machine
def test_readme_demo_command_writes_summaries_into_the_embedded_newsroom(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSUM_")}
    # The checkout under test instead of an installed copy; no network; one torch thread
    # (faster than two on a busy two-core machine; the command itself is unchanged).
    env.update(PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    result = subprocess.run(
        [sys.executable, "-m", "newsum", "demo"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1700,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    defaults = DemoConfig()
    fresh, backfill = defaults.fresh_articles, defaults.backfill
    # The quality table: ROUGE beside the faithfulness figures, all pairs and per language.
    assert all(column in result.stdout for column in ("ROUGE-Lsum", "entity P", "number P"))
    assert "en: " in result.stdout and "pt-BR: " in result.stdout
    assert f"enqueue: {fresh} queued" in result.stdout
    # The backfill queues the rest; the fresh ids are still queued, or already done if
    # the worker was quick.
    line = BACKFILL_LINE.search(result.stdout)
    assert line, result.stdout[-3000:]
    _, queued, already_queued, skipped = map(int, line.groups())
    assert (queued, already_queued + skipped) == (backfill, fresh)

    workdir = tmp_path / defaults.workdir
    engine = make_engine(f"sqlite:///{workdir / 'newsroom.db'}")
    articles = articles_table(Settings().articles)
    with session_factory(engine)() as session:
        rows = session.execute(
            select(Summary.status, func.count()).group_by(Summary.status)
        ).all()
        done = session.execute(
            select(Summary.text, articles.c.title, articles.c.body, articles.c.language,
                   ModelVersion.adapter_path)
            .join(articles, articles.c.id == Summary.article_id)
            .join(ModelVersion, ModelVersion.id == Summary.model_version_id)
            .where(Summary.status == SummaryStatus.DONE)
        ).all()
    engine.dispose()
    counts = dict(rows)
    assert sum(counts.values()) == fresh + backfill
    assert set(counts) <= {SummaryStatus.DONE, SummaryStatus.NEEDS_REVIEW}, counts
    # Most of what the demo's adapter writes is published, and all that is, is supported.
    assert counts.get(SummaryStatus.DONE, 0) >= 0.8 * (fresh + backfill), counts
    for text, title, body, language, adapter_path in done:
        bounds = LengthBounds.from_max_tokens(AdapterManifest.load(adapter_path).max_new_tokens)
        verdict = check_summary(ArticleText(title, body, language), text, bounds=bounds)
        assert verdict.passed, (title, text, verdict)

    # Nothing is left in flight once the demo is over (the embedded broker's count).
    status = subprocess.run(
        [sys.executable, "-m", "newsum", "status"], cwd=tmp_path, capture_output=True,
        text=True, timeout=120,
        env=env | {"NEWSUM_DATABASE_URL": f"sqlite:///{workdir / 'newsroom.db'}",
                   "NEWSUM_BROKER_URL": f"sqla+sqlite:///{workdir / 'broker.db'}"},
    )
    assert status.returncode == 0, status.stderr
    assert "queue depth: 0  in flight: 0" in status.stdout, status.stdout
