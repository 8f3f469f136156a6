"""Bad input against a real worker (solo pool, SQLite): every id ends in a recorded state,
junk on the queue is refused, and the worker goes on serving."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import redis
from sqlalchemy import Engine

from harness.newsroom import insert_articles, served_version
from harness.processes import WorkerProcess, all_summaries, wait_until_final
from newsum.broker.app import TASK_SUMMARIZE, celery_app_for
from newsum.broker.enqueue import enqueue
from newsum.config import Settings
from newsum.db.engine import make_engine
from newsum.db.migrate import upgrade
from newsum.db.models import GENERATED_STATES, SummaryStatus
from newsum.worker.batch import EMPTY_TEXT, UNKNOWN_ARTICLE
from tests.conftest import REDIS_SERVER

PARAGRAPH = (
    "Rescue teams reached the flooded valley on Sunday and moved two hundred families to "
    "schools on higher ground, the regional government said. "
)


class Payload:
    """Unpickling this would create ``path``: proof that a pickle was never loaded."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.path}",))


def bad_input_articles() -> list[dict]:
    return [
        {"id": 1, "title": "Flood rescue", "body": PARAGRAPH * 3},
        {"id": 2, "title": "Empty", "body": ""},
        {"id": 3, "title": "Very long", "body": PARAGRAPH * 7000},  # about 1 MB
        {"id": 4, "title": "<h1>Flood &amp; rescue</h1>",
         "body": "<div class='lead'><p>Rescue <b>teams</b> reached the valley.</p>"
                 "<script>alert('x')</script><!-- cms note --><br/>&nbsp;&lt;families&gt;</div>"},
        {"id": 5, "title": "洪水救援",
         "body": "救援队周日抵达被洪水淹没的山谷，转移了两百户家庭。"},
        {"id": 6, "title": "إنقاذ",
         "body": "وصلت فرق الإنقاذ إلى الوادي المغمور يوم الأحد ونقلت مئتي أسرة."},
        {"id": 7, "title": "Спасение",
         "body": "Спасатели в воскресенье добрались до затопленной долины."},
        {"id": 8, "title": "Mixed", "body": "Rescue 🚒 teams ✅ — résumé naïve café; ½ ≠ ∞. " * 4},
        {"id": 42, "title": "Popular", "body": PARAGRAPH * 2},
        {"id": 100, "title": "After the junk", "body": PARAGRAPH},
    ]


def test_bad_input_ends_recorded_or_refused_and_the_worker_keeps_serving(
    sqlite_url: str, redis_prefix: str, settings_for: Callable[..., Settings],
    trained_adapter_dir: Path, tmp_path: Path,
) -> None:
    engine: Engine = make_engine(sqlite_url)
    upgrade(engine)
    settings = settings_for(
        sqlite_url, broker_url=REDIS_SERVER, broker_key_prefix=redis_prefix, precision="fp32",
        device="cpu", batch_size=4, batch_flush_interval_s=0.3,
    )
    version_id = served_version(engine, "tiny-qlora", trained_adapter_dir)
    insert_articles(engine, settings, bad_input_articles())
    marker = tmp_path / "unpickled"
    worker = WorkerProcess(settings, tmp_path / "worker.log", pool="solo").start()
    try:
        worker.wait_ready()
        with ThreadPoolExecutor(max_workers=10) as pool:
            results = list(pool.map(lambda _: enqueue([42], settings=settings), range(50)))
        assert sum(len(r.queued) for r in results) == 1
        enqueue([1, 2, 3, 4, 5, 6, 7, 8, 999], settings=settings)

        # Junk straight onto the queue: not JSON at all, a pickle, malformed payloads.
        client = redis.Redis.from_url(REDIS_SERVER)
        key = redis_prefix + settings.queue_name
        client.lpush(key, b"\x80\x04 this is not json {", b'"json, but no message"', b"{}")
        client.close()
        sender = celery_app_for(settings)
        sender.send_task(TASK_SUMMARIZE, args=[Payload(marker)], serializer="pickle",
                         queue=settings.queue_name)
        sender.send_task(TASK_SUMMARIZE, kwargs={"article_id": "abc", "model_version_id": 1},
                         queue=settings.queue_name)
        sender.send_task(TASK_SUMMARIZE, kwargs={"article_id": 7}, queue=settings.queue_name)

        enqueue([100], settings=settings)
        rows = wait_until_final(
            engine, [1, 2, 3, 4, 5, 6, 7, 8, 42, 100, 999], version_id, worker=worker
        )
        assert worker.process is not None and worker.process.poll() is None
    finally:
        worker.stop()

    done = {i for i, row in rows.items() if row.status in GENERATED_STATES}
    assert done == {1, 3, 4, 5, 6, 7, 8, 42, 100}
    assert (rows[2].status, rows[2].reason) == (SummaryStatus.SKIPPED, EMPTY_TEXT)
    assert (rows[999].status, rows[999].reason) == (SummaryStatus.SKIPPED, UNKNOWN_ARTICLE)
    assert rows[3].input_tokens <= 1024  # the 1 MB article was cut to the prompt budget
    summaries = all_summaries(engine)
    assert len(summaries) == 11  # one row per article, the 50-times id included
    assert all(s.attempts == 1 for s in summaries)  # nothing summarised twice
    assert not marker.exists()  # the pickle was refused, never deserialised
    log = worker.log()
    assert "rejected message" in log and "article_id" in log
    assert log.count("not a task message") == 3
    assert "Refusing to deserialize untrusted content of type pickle" in log
