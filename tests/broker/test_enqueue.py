"""enqueue() and queue_depth() against the real Redis server and both databases."""

from __future__ import annotations

import base64
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import redis
from sqlalchemy import Engine, select

from harness.newsroom import add_version
from newsum.broker.enqueue import enqueue
from newsum.broker.stats import in_flight, queue_depth
from newsum.config import Settings
from newsum.db.engine import transaction
from newsum.db.models import Summary
from newsum.db.queries import counts_by_status
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
    from newsum.db.models import utcnow

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
