"""``newsum demo`` as the README's first command runs it: a real process, offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from newsum.db.engine import make_engine, session_factory
from newsum.db.models import Summary, SummaryStatus

ROOT = Path(__file__).resolve().parents[2]


def test_demo_writes_summaries_into_the_embedded_newsroom(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSUM_")}
    env.update(PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    workdir = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "newsum", "demo", "--workdir", str(workdir),
         "--base-model", str(tiny_model_dir), "--articles", "160", "--train-steps", "20",
         "--fresh-articles", "3", "--backfill", "3"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "ROUGE-Lsum" in result.stdout
    assert "enqueue: 3 queued" in result.stdout
    assert "backfill: seen 6, queued 3, already queued 3" in result.stdout

    engine = make_engine(f"sqlite:///{workdir / 'newsroom.db'}")
    with session_factory(engine)() as session:
        rows = session.execute(
            select(Summary.status, func.count()).group_by(Summary.status)
        ).all()
        texts = session.scalars(select(Summary.text).where(Summary.status == "done")).all()
    assert dict(rows) == {SummaryStatus.DONE: 6}
    assert all(text and text.strip() for text in texts)
