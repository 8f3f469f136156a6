"""The HTTP API against the real Redis and the real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import Engine

from harness.api import METRICS_TOKEN, TOKEN, bearer, closed_port, signed
from harness.newsroom import add_version, insert_articles
from newsum.api.guard import MAX_BODY_BYTES
from newsum.broker.app import celery_app_for
from newsum.config import Settings
from newsum.errors import ApiMisconfigured
from newsum.server import create_app
from tests.conftest import REDIS_SERVER

# Tests of the HTTP surface alone run on SQLite only; the flows touching queries run on both.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ARTICLES = [{"id": i, "title": f"Headline {i}", "body": f"Body of story {i}."} for i in (1, 2, 3)]


@pytest.fixture
def api_settings(worker_settings: Settings, engine: Engine) -> Settings:
    """Worker settings plus the API token, with a promoted version and three articles."""
    add_version(engine, "v1")
    insert_articles(engine, worker_settings, ARTICLES)
    return worker_settings.model_copy(update={
        "api_token": SecretStr(TOKEN), "metrics_token": SecretStr(METRICS_TOKEN)})


@pytest.fixture
def client(api_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(api_settings), raise_server_exceptions=False) as test_client:
        yield test_client


def queue_length(settings: Settings) -> int:
    """LLEN of the summarize queue, read straight from Redis."""
    connection = redis.Redis.from_url(REDIS_SERVER)
    try:
        return int(connection.llen(f"{settings.broker_key_prefix}{settings.queue_name}"))
    finally:
        connection.close()


@sqlite_only
def test_the_api_refuses_to_start_without_a_token(worker_settings: Settings) -> None:
    with pytest.raises(ApiMisconfigured, match="NEWSUM_API_TOKEN"):
        create_app(worker_settings)


def test_post_queues_the_article_and_get_then_shows_it_queued(
    client: TestClient, api_settings: Settings
) -> None:
    answer = client.post("/articles/2/summarize", headers=bearer())
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"article_id": 2, "model_version": "v1", "queued": True}
    summary = client.get("/articles/2/summary", headers=bearer())
    assert summary.status_code == 200, summary.text
    body = summary.json()
    assert (body["status"], body["in_queue"], body["text"]) == ("queued", True, None)
    assert queue_length(api_settings) == 1


def test_a_duplicate_post_says_not_queued_and_leaves_one_message(
    client: TestClient, api_settings: Settings
) -> None:
    first = client.post("/articles/3/summarize", headers=bearer())
    second = client.post("/articles/3/summarize", headers=bearer())
    assert (first.json()["queued"], second.json()["queued"]) == (True, False)
    assert second.status_code == 202
    assert queue_length(api_settings) == 1


def test_a_signed_post_is_accepted_and_its_replay_refused(client: TestClient) -> None:
    body = json.dumps({"force": True}).encode()
    headers = {**signed("POST", "/articles/1/summarize", body),
               "Content-Type": "application/json"}
    first = client.post("/articles/1/summarize", content=body, headers=headers)
    assert first.status_code == 202, first.text
    replay = client.post("/articles/1/summarize", content=body, headers=headers)
    assert replay.status_code == 401
    assert "replayed" in replay.json()["detail"]


@sqlite_only
def test_a_signature_covers_the_query_string(client: TestClient) -> None:
    headers = signed("POST", "/articles/1/summarize")
    tampered = client.post("/articles/1/summarize?force=true", headers=headers)
    assert tampered.status_code == 401
    signed_query = signed("POST", "/articles/1/summarize?force=true")
    assert client.post("/articles/1/summarize?force=true", headers=signed_query).status_code == 202


@sqlite_only
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Bearer {TOKEN}extra"},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        signed("POST", "/articles/1/summarize", timestamp=int(time.time()) - 301),
        signed("POST", "/articles/1/summarize", token="another-secret"),
    ],
    ids=["missing", "wrong", "longer", "basic", "stale-signature", "wrong-key"],
)
def test_bad_credentials_get_401_without_the_secret(
    client: TestClient, api_settings: Settings, headers: dict[str, str]
) -> None:
    answer = client.post("/articles/1/summarize", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert TOKEN not in answer.text
    assert queue_length(api_settings) == 0


@sqlite_only
@pytest.mark.parametrize("path", ["/openapi.json", "/docs", "/articles/1/summary"])
def test_every_route_but_healthz_needs_credentials(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 401
    assert client.get(path, headers=bearer(METRICS_TOKEN)).status_code == 401
    assert client.get(path, headers=bearer()).status_code in (200, 404)


@sqlite_only
def test_metrics_take_the_metrics_token_and_no_other(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=bearer()).status_code == 401
    assert client.get("/metrics", headers=signed("GET", "/metrics")).status_code == 401
    assert client.get("/metrics", headers=bearer(METRICS_TOKEN)).status_code == 200
    # The metrics token reads; it queues nothing.
    assert client.post("/articles/1/summarize", headers=bearer(METRICS_TOKEN)).status_code == 401


@sqlite_only
@pytest.mark.parametrize(
    "article_id", ["abc", "-1", "0", "1.5", "9223372036854775808", "1e3", "%00", "1;DROP"]
)
def test_an_id_that_is_not_a_positive_integer_gets_422(
    client: TestClient, api_settings: Settings, article_id: str
) -> None:
    for method, suffix in (("POST", "summarize"), ("GET", "summary")):
        answer = client.request(method, f"/articles/{article_id}/{suffix}", headers=bearer())
        assert answer.status_code == 422, (method, article_id, answer.text)
    assert queue_length(api_settings) == 0


def test_an_id_the_article_table_lacks_gets_404_and_queues_nothing(
    client: TestClient, api_settings: Settings
) -> None:
    answer = client.post("/articles/999/summarize", headers=bearer())
    assert answer.status_code == 404
    assert "999" in answer.json()["detail"]
    assert client.get("/articles/999/summary", headers=bearer()).status_code == 404
    assert queue_length(api_settings) == 0


def test_an_unknown_model_version_gets_404_and_no_active_version_409(
    client: TestClient, engine: Engine
) -> None:
    answer = client.post("/articles/1/summarize?model_version=nope", headers=bearer())
    assert answer.status_code == 404
    add_version(engine, "v0-draft", promote=False)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE newsum_model_versions SET is_active = false")
    inactive = client.post("/articles/1/summarize", headers=bearer())
    assert inactive.status_code == 409
    assert "no model version is active" in inactive.json()["detail"]


@sqlite_only
def test_an_oversized_body_gets_413_before_authentication(client: TestClient) -> None:
    big = b"{" + b" " * MAX_BODY_BYTES + b"}"
    answer = client.post("/articles/1/summarize", content=big, headers=bearer())
    assert answer.status_code == 413
    unauthenticated = client.post("/articles/1/summarize", content=big)
    assert unauthenticated.status_code == 413


@sqlite_only
def test_an_oversized_chunked_body_gets_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_BODY_BYTES // 1024 + 2):
            yield b"x" * 1024

    answer = client.post("/articles/1/summarize", content=chunks(), headers=bearer())
    assert answer.status_code == 413


@sqlite_only
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'{"force": "maybe"}', "application/json"),
        (b'{"forse": true}', "application/json"),
        (b'"\xff\xfe"', "application/json"),
        (b"force=true", "application/x-www-form-urlencoded"),
        (b"\x00\x01\x02", "application/octet-stream"),
    ],
)
def test_a_malformed_body_gets_a_4xx_and_queues_nothing(
    client: TestClient, api_settings: Settings, body: bytes, content_type: str
) -> None:
    answer = client.post(
        "/articles/1/summarize", content=body, headers={**bearer(), "Content-Type": content_type}
    )
    assert 400 <= answer.status_code < 500, answer.text
    assert queue_length(api_settings) == 0


def test_a_json_body_can_force_a_named_version(client: TestClient, engine: Engine) -> None:
    add_version(engine, "v2", promote=False)
    answer = client.post(
        "/articles/1/summarize", json={"force": True, "model_version": "v2"}, headers=bearer()
    )
    assert answer.status_code == 202, answer.text
    assert answer.json()["model_version"] == "v2"
    summary = client.get("/articles/1/summary?model_version=v2", headers=bearer())
    assert summary.json()["status"] == "queued"


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The API's /metrics samples by (name, sorted labels)."""
    answer = client.get("/metrics", headers=bearer(METRICS_TOKEN))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def test_metrics_report_the_real_queue_depth_in_flight_and_states(
    client: TestClient, api_settings: Settings
) -> None:
    for article_id in (1, 2, 3):
        client.post(f"/articles/{article_id}/summarize", headers=bearer())
    samples = scrape(client)
    queue = ("queue", "summarize")
    assert samples[("newsum_queue_depth", (queue,))] == queue_length(api_settings) == 3
    assert samples[("newsum_in_flight", ())] == 0
    assert samples[("newsum_summaries", (("model_version", "v1"), ("status", "queued")))] == 3
    assert samples[("newsum_claimed", (("model_version", "v1"),))] == 3
    assert samples[("newsum_broker_up", (queue,))] == 1
    assert samples[("newsum_database_up", ())] == 1

    # A consumer that takes a message without acknowledging it, as a worker mid-batch does.
    with celery_app_for(api_settings).connection_for_read() as connection:
        taken = connection.SimpleQueue(api_settings.queue_name).get(timeout=5)
        assert taken.payload is not None
        samples = scrape(client)
        assert samples[("newsum_queue_depth", (queue,))] == queue_length(api_settings) == 2
        assert samples[("newsum_in_flight", ())] == 1


@sqlite_only
def test_healthz_answers_without_credentials(client: TestClient) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": True, "broker": True}


def test_broker_down_gives_503_fast_while_healthz_and_reads_still_answer(
    api_settings: Settings,
) -> None:
    down = api_settings.model_copy(
        update={"broker_url": f"redis://127.0.0.1:{closed_port()}/0"}
    )
    with TestClient(create_app(down), raise_server_exceptions=False) as client:
        started = time.monotonic()
        answer = client.post("/articles/1/summarize", headers=bearer())
        assert answer.status_code == 503
        assert time.monotonic() - started < 10
        assert "broker" in answer.json()["detail"]
        assert answer.headers["retry-after"]

        started = time.monotonic()
        health = client.get("/healthz")
        assert time.monotonic() - started < 10
        assert health.status_code == 503
        assert health.json() == {"status": "degraded", "database": True, "broker": False}

        assert client.get("/articles/1/summary", headers=bearer()).status_code == 404
        metrics = client.get("/metrics", headers=bearer(METRICS_TOKEN))
        assert metrics.status_code == 200
        assert 'newsum_broker_up{queue="summarize"} 0.0' in metrics.text

        signed_post = client.post(
            "/articles/1/summarize", headers=signed("POST", "/articles/1/summarize")
        )
        assert signed_post.status_code == 503


@sqlite_only
def test_database_down_gives_503_and_healthz_says_which_part_is_down(
    api_settings: Settings,
) -> None:
    down = api_settings.model_copy(
        update={"database_url": f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/x"}
    )
    with TestClient(create_app(down), raise_server_exceptions=False) as client:
        started = time.monotonic()
        for method, path in (("POST", "/articles/1/summarize"), ("GET", "/articles/1/summary")):
            answer = client.request(method, path, headers=bearer())
            assert answer.status_code == 503, answer.text
            assert "127.0.0.1" not in answer.text
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json() == {"status": "degraded", "database": False, "broker": True}
        metrics = client.get("/metrics", headers=bearer(METRICS_TOKEN))
        assert metrics.status_code == 200
        assert "newsum_database_up 0.0" in metrics.text
        assert time.monotonic() - started < 20
    assert queue_length(api_settings) == 0
