"""enqueue() and queue_depth() against the real Redis server and both databases."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, select

from harness.faults import PrivateRedis
from harness.newsroom import add_version
from newsum.broker.app import TASK_SUMMARIZE, celery_app_for
from newsum.broker.enqueue import Enqueuer, enqueue
from newsum.broker.message import SummarizeMessage
from newsum.broker.stats import in_flight, queue_depth
from newsum.config import Settings
from newsum.db.engine import transaction
from newsum.db.models import Summary, SummaryStatus, utcnow
from newsum.db.queries import SummaryRecord, counts_by_status, upsert_summary
from newsum.errors import BrokerUnavailable, InvalidArticleId, NoActiveModelVersion
from tests.conftest import REDIS_SERVER


def aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; newsum writes them in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def queued_messages(settings: Settings) -> list[dict]:
    """The task messages waiting on the queue, decoded the way a worker sees them."""
    client = redis.Redis.from_url(REDIS_SERVER)
    raw = client.lrange(settings.broker_key_prefix + settings.queue_name, 0, -1)
    client.close()
    messages = []
    for item in raw:
        envelope = json.loads(item)
        assert envelope["content-type"] == "application/json"
        body = json.loads(base64.b64decode(envelope["body"]))
        messages.append({"task": envelope["headers"]["task"], "kwargs": body[1]})
    return messages


def test_enqueue_sends_one_json_message_per_id_on_the_prefixed_queue(
    engine: Engine, worker_settings: Settings
) -> None:
    version_id = add_version(engine)
    result = enqueue([3, 1, 2], settings=worker_settings)

    assert result.queued == [3, 1, 2]
    assert result.already_queued == []
    assert queue_depth(worker_settings) == 3
    assert in_flight(worker_settings) == 0
    messages = queued_messages(worker_settings)
    assert sorted(m["kwargs"]["article_id"] for m in messages) == [1, 2, 3]
    assert {m["task"] for m in messages} == {"newsum.summarize"}
    assert all(
        m["kwargs"] == {"article_id": m["kwargs"]["article_id"],
                        "model_version_id": version_id, "force": False}
        for m in messages
    )


def test_an_id_already_queued_is_not_queued_again(
    engine: Engine, worker_settings: Settings
) -> None:
    add_version(engine)
    enqueue([1, 2], settings=worker_settings)
    again = enqueue([2, 3, 3], settings=worker_settings)

    assert again.queued == [3]
    assert sorted(again.already_queued) == [2, 3]
    assert queue_depth(worker_settings) == 3


def test_fifty_simultaneous_enqueues_of_one_id_send_one_message(
    engine: Engine, worker_settings: Settings
) -> None:
    add_version(engine)
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda _: enqueue([42], settings=worker_settings), range(50)))

    assert sum(len(r.queued) for r in results) == 1
    assert sum(len(r.already_queued) for r in results) == 49
    assert queue_depth(worker_settings) == 1


def test_a_stale_claim_can_be_queued_again(
    engine: Engine, worker_settings: Settings
) -> None:
    add_version(engine)
    enqueue([7], settings=worker_settings)
    stale = worker_settings.model_copy(update={"queue_claim_timeout_s": 0})
    time.sleep(0.05)
    assert enqueue([7], settings=stale).queued == [7]


def test_enqueue_for_a_named_version_and_force_travel_in_the_message(
    engine: Engine, worker_settings: Settings
) -> None:
    add_version(engine, "v1")
    other = add_version(engine, "v2", promote=False)
    enqueue([5], settings=worker_settings, model_version="v2", force=True)

    [message] = queued_messages(worker_settings)
    assert message["kwargs"] == {"article_id": 5, "model_version_id": other, "force": True}


def test_broker_down_raises_quickly_and_releases_the_claims(
    engine: Engine, worker_settings: Settings
) -> None:
    version_id = add_version(engine)
    down = worker_settings.model_copy(update={"broker_url": "redis://127.0.0.1:1/0"})
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable, match="cannot reach the broker"):
        enqueue([1, 2], settings=down)
    assert time.monotonic() - started < 10
    with transaction(engine) as session:
        rows = session.scalars(select(Summary).where(Summary.model_version_id == version_id))
        assert list(rows) == []
        assert [c for c in counts_by_status(session) if c.status == "in queue"] == []
    # The claims are gone: the same ids queue normally once the broker is back.
    assert enqueue([1, 2], settings=worker_settings).queued == [1, 2]


def test_queue_depth_reports_broker_down_as_broker_unavailable(
    worker_settings: Settings,
) -> None:
    down = worker_settings.model_copy(update={"broker_url": "redis://127.0.0.1:1/0"})
    with pytest.raises(BrokerUnavailable):
        queue_depth(down)


def test_non_integer_id_is_rejected_before_anything_is_queued(
    engine: Engine, worker_settings: Settings
) -> None:
    add_version(engine)
    with pytest.raises(InvalidArticleId, match="abc"):
        enqueue(["abc"], settings=worker_settings)  # type: ignore[list-item]
    assert queue_depth(worker_settings) == 0


def test_enqueue_without_an_active_version_says_what_to_do(
    engine: Engine, worker_settings: Settings
) -> None:
    with pytest.raises(NoActiveModelVersion, match="promote"):
        enqueue([1], settings=worker_settings)


def test_a_claim_whose_send_and_release_both_failed_expires_within_seconds(
    engine: Engine, worker_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import newsum.broker.enqueue as enqueue_module
    from newsum.broker.publish import SummarizePublisher

    add_version(engine)

    def broker_gone(*_args: object, **_kwargs: object) -> None:
        raise redis.exceptions.TimeoutError("Timeout reading from socket")

    def database_gone(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the database went away too")

    monkeypatch.setattr(SummarizePublisher, "publish", broker_gone)
    monkeypatch.setattr(enqueue_module, "release_claims", database_gone)
    with pytest.raises(RuntimeError):
        enqueue([5], settings=worker_settings)
    with transaction(engine) as session:
        stuck = aware(session.scalars(select(Summary)).one().queued_at)
    lifetime = worker_settings.queue_claim_timeout_s
    expires_in = stuck - (utcnow() - timedelta(seconds=lifetime))
    assert expires_in.total_seconds() <= enqueue_module.CLAIM_PENDING_S

    monkeypatch.undo()
    with transaction(engine) as session:
        session.scalars(select(Summary)).one().queued_at = (
            utcnow() - timedelta(seconds=lifetime + 1))
    assert enqueue([5], settings=worker_settings).queued == [5]
    with transaction(engine) as session:
        confirmed = aware(session.scalars(select(Summary)).one().queued_at)
    assert (utcnow() - confirmed).total_seconds() < 5  # a sent message's claim lives fully


def raw_items(settings: Settings, redis_url: str = REDIS_SERVER) -> list[dict]:
    """The queue's items as kombu's Redis transport stores them, oldest first."""
    client = redis.Redis.from_url(redis_url)
    raw = client.lrange(settings.broker_key_prefix + settings.queue_name, 0, -1)
    client.close()
    return [json.loads(item) for item in reversed(raw)]


def without_message_ids(item: dict) -> dict:
    """An item with what differs between any two messages (their ids) blanked."""
    task_id = item["headers"]["id"]
    assert item["headers"]["root_id"] == task_id == item["properties"]["correlation_id"]
    blank = json.loads(json.dumps(item))
    blank["headers"].update(id="", root_id="")
    blank["properties"].update(correlation_id="", delivery_tag="")
    return blank


@pytest.mark.parametrize("force,override_review", [(False, False), (True, True)])
def test_a_queued_message_is_what_send_task_sends_for_the_same_id(
    engine: Engine, worker_settings: Settings, force: bool, override_review: bool
) -> None:
    version_id = add_version(engine)
    kwargs = SummarizeMessage(article_id=7, model_version_id=version_id, force=force,
                              override_review=override_review).as_kwargs()
    celery_app_for(worker_settings).send_task(TASK_SUMMARIZE, kwargs=kwargs,
                                              queue=worker_settings.queue_name)
    enqueue([7, 8, 9], settings=worker_settings, force=force, override_review=override_review)

    by_send_task, *ours = raw_items(worker_settings)
    assert without_message_ids(ours[0]) == without_message_ids(by_send_task)
    # Newest first: workers take them oldest first, in the order they were enqueued.
    assert [m["kwargs"]["article_id"] for m in queued_messages(worker_settings)] == [9, 8, 7, 7]
    ids = [item["headers"]["id"] for item in ours] + [by_send_task["headers"]["id"]]
    tags = [item["properties"]["delivery_tag"] for item in ours]
    assert len(set(ids)) == 4 and len(set(tags)) == 3


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path / "redis").start()
    yield server
    server.stop()


def test_a_send_that_fails_mid_run_releases_its_chunks_claims_and_a_retry_queues_them(
    engine: Engine, private_redis: PrivateRedis, settings_for  # type: ignore[no-untyped-def]
) -> None:
    settings = settings_for(engine.url.render_as_string(hide_password=False),
                            broker_url=private_redis.url, enqueue_chunk_size=5)
    version_id = add_version(engine)
    with transaction(engine) as session:
        upsert_summary(session, SummaryRecord(article_id=8, model_version_id=version_id,
                                              status=SummaryStatus.DONE, text="Kept."))
    with Enqueuer(settings) as enqueuer:
        assert enqueuer.enqueue(range(1, 6)).queued == [1, 2, 3, 4, 5]
        private_redis.stop()  # the broker goes away with the run's connection open
        with pytest.raises(BrokerUnavailable, match="cannot reach the broker"):
            enqueuer.enqueue(range(6, 11))

    with transaction(engine) as session:
        rows = {s.article_id: s for s in session.scalars(select(Summary))}
    assert sorted(rows) == [1, 2, 3, 4, 5, 8]
    assert all(rows[i].queued_at is not None for i in range(1, 6))
    assert rows[8].status == SummaryStatus.DONE and rows[8].text == "Kept."
    assert rows[8].queued_at is None

    private_redis.start()  # its append-only file brings back the first chunk's messages
    again = enqueue(range(1, 11), settings=settings)
    assert (again.queued, sorted(again.already_queued)) == ([6, 7, 8, 9, 10], [1, 2, 3, 4, 5])
    queued = [json.loads(base64.b64decode(item["body"]))[1]["article_id"]
              for item in raw_items(settings, private_redis.url)]
    assert sorted(queued) == list(range(1, 11))


def test_chunks_queued_one_after_another_stopped_early_leave_no_claim_unsent(
    engine: Engine, worker_settings: Settings
) -> None:
    add_version(engine)
    with Enqueuer(worker_settings) as enqueuer:
        chunks = enqueuer.enqueue_chunks([[1, 2], [3, 4], [5, 6]])
        chunk, result = next(chunks)  # [3, 4] is claimed meanwhile, ahead of its send
        assert (chunk, result.queued) == ([1, 2], [1, 2])
        chunks.close()  # the caller stops there

    with transaction(engine) as session:
        rows = {s.article_id: s for s in session.scalars(select(Summary))}
    assert sorted(rows) == [1, 2]
    # The chunk sent has its claims confirmed: they live their full lifetime.
    assert all((utcnow() - aware(rows[i].queued_at)).total_seconds() < 5 for i in (1, 2))
    assert sorted(m["kwargs"]["article_id"] for m in queued_messages(worker_settings)) == [1, 2]
    assert enqueue(range(1, 7), settings=worker_settings).queued == [3, 4, 5, 6]


def test_a_chunk_failing_to_send_while_the_next_is_claimed_leaves_neither_claimed(
    engine: Engine, private_redis: PrivateRedis, settings_for  # type: ignore[no-untyped-def]
) -> None:
    settings = settings_for(engine.url.render_as_string(hide_password=False),
                            broker_url=private_redis.url)
    add_version(engine)
    with Enqueuer(settings) as enqueuer:
        chunks = enqueuer.enqueue_chunks([[1, 2], [3, 4], [5, 6]])
        assert next(chunks)[0] == [1, 2]
        private_redis.stop()
        with pytest.raises(BrokerUnavailable):
            next(chunks)  # [3, 4] fails to send while [5, 6] is being claimed

    with transaction(engine) as session:
        rows = {s.article_id: s for s in session.scalars(select(Summary))}
    assert sorted(rows) == [1, 2]
    private_redis.start()
    assert enqueue(range(1, 7), settings=settings).queued == [3, 4, 5, 6]


def test_a_bad_id_in_a_later_chunk_stops_the_run_after_the_chunk_already_sent(
    engine: Engine, worker_settings: Settings
) -> None:
    add_version(engine)
    seen = []
    with Enqueuer(worker_settings) as enqueuer, pytest.raises(InvalidArticleId):
        for chunk, result in enqueuer.enqueue_chunks([[1, 2], [3, "x"], [5, 6]]):
            seen.append((chunk, result.queued))
    assert seen == [([1, 2], [1, 2])]
    with transaction(engine) as session:
        rows = {s.article_id: s for s in session.scalars(select(Summary))}
    assert sorted(rows) == [1, 2]
    assert all((utcnow() - aware(rows[i].queued_at)).total_seconds() < 5 for i in (1, 2))
