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

from newsum.db.engine import make_engine, session_factory
from newsum.db.models import Summary, SummaryStatus
from newsum.demo import DemoConfig

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
    assert "ROUGE-Lsum" in result.stdout
    assert f"enqueue: {fresh} queued" in result.stdout
    # The backfill queues the rest; the fresh ids are still queued, or already done if
    # the worker was quick.
    line = BACKFILL_LINE.search(result.stdout)
    assert line, result.stdout[-3000:]
    _, queued, already_queued, skipped = map(int, line.groups())
    assert (queued, already_queued + skipped) == (backfill, fresh)

    engine = make_engine(f"sqlite:///{tmp_path / defaults.workdir / 'newsroom.db'}")
    with session_factory(engine)() as session:
        rows = session.execute(
            select(Summary.status, func.count()).group_by(Summary.status)
        ).all()
        texts = session.scalars(select(Summary.text).where(Summary.status == "done")).all()
    engine.dispose()
    assert dict(rows) == {SummaryStatus.DONE: fresh + backfill}
    assert all(text and text.strip() for text in texts)
