"""``newsum demo`` as the README's first command runs it: a real process, offline, with no
option at all, from an empty directory (the demo keeps everything under ./.newsum/demo).
What it publishes is judged by the fact records its articles were written from, never by
the check that published them."""

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
from newsum.db.models import Summary, SummaryStatus, articles_table
from newsum.sandbox.corpus import fact_record, generate_corpus
from newsum.sandbox.demo import DemoConfig
from newsum.trainer.facts import Lexicon
from newsum.trainer.truth import judge

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
    # The quality table: ROUGE beside the faithfulness figures and the truth by the fact
    # records (fact accuracy, and how good the check is against it), all pairs and per
    # language.
    assert all(column in result.stdout for column in (
        "ROUGE-Lsum", "entity P", "number P", "facts", "pass>T", "F held"))
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
        published = session.execute(
            select(Summary.article_id, Summary.text, articles.c.title, articles.c.body,
                   articles.c.language)
            .join(articles, articles.c.id == Summary.article_id)
            .where(Summary.status == SummaryStatus.DONE)
        ).all()
    engine.dispose()
    counts = dict(rows)
    assert sum(counts.values()) == fresh + backfill
    assert set(counts) <= {SummaryStatus.DONE, SummaryStatus.NEEDS_REVIEW}, counts
    # Most of what the demo's adapter writes is published ...
    assert counts.get(SummaryStatus.DONE, 0) >= 0.8 * (fresh + backfill), counts
    # ... and by the fact record its article was written from, at least 98% of what it
    # publishes is true, in each language (of a dozen a language: every one).
    items = generate_corpus(defaults.articles, seed=defaults.seed)
    lexicon = Lexicon.build(
        (i.language, (i.title, i.body, i.summary), fact_record(i.facts)) for i in items
    )
    by_id = {item.id: item for item in items}
    verdicts: dict[str, list[tuple[bool, str, list[str]]]] = {}
    for article_id, text, title, body, language in published:
        verdict = judge(text, fact_record(by_id[article_id].facts), article=f"{title}\n\n{body}",
                        language=language, lexicon=lexicon)
        verdicts.setdefault(language, []).append((verdict.true, text, verdict.problems))
    assert set(verdicts) == {"en", "pt-BR"}, verdicts
    for language, judged in verdicts.items():
        true = sum(ok for ok, _, _ in judged)
        assert true >= 0.98 * len(judged), (language, [j for j in judged if not j[0]])

    # Nothing is left in flight once the demo is over (the embedded broker's count).
    status = subprocess.run(
        [sys.executable, "-m", "newsum", "status"], cwd=tmp_path, capture_output=True,
        text=True, timeout=120,
        env=env | {"NEWSUM_DATABASE_URL": f"sqlite:///{workdir / 'newsroom.db'}",
                   "NEWSUM_BROKER_URL": f"sqla+sqlite:///{workdir / 'broker.db'}"},
    )
    assert status.returncode == 0, status.stderr
    assert "queue depth: 0  in flight: 0" in status.stdout, status.stdout
