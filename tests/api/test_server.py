"""``newsum api`` as a real uvicorn process, called over TCP as the CMS would."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine

from harness.api import bearer, free_port, running_api, signed
from harness.newsroom import add_version, insert_articles
from harness.processes import REPO, process_env
from newsum.config import Settings

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def api_server(worker_settings: Settings, engine: Engine) -> Iterator[str]:
    add_version(engine, "v1")
    insert_articles(engine, worker_settings, [{"id": 41, "title": "T", "body": "A story."}])
    with running_api(worker_settings) as base:
        yield base


def test_newsum_api_serves_a_signed_cms_request_over_tcp(api_server: str) -> None:
    path = "/articles/41/summarize"
    headers = signed("POST", path)
    accepted = httpx.post(api_server + path, headers=headers, timeout=10)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json() == {"article_id": 41, "model_version": "v1", "queued": True}

    assert httpx.post(api_server + path, headers=headers, timeout=10).status_code == 401
    assert httpx.get(api_server + "/articles/41/summary", timeout=10).status_code == 401

    summary = httpx.get(api_server + "/articles/41/summary", headers=bearer(), timeout=10)
    assert summary.json()["status"] == "queued"
    health = httpx.get(api_server + "/healthz", timeout=10)
    assert health.json() == {"status": "ok", "database": True, "broker": True}
    assert "server" not in health.headers


def test_newsum_api_answers_a_1_mb_body_with_413_plain_or_chunked(api_server: str) -> None:
    url = api_server + "/articles/41/summarize"
    plain = httpx.post(url, content=b"x" * 1_000_000, headers=bearer(), timeout=10)
    assert plain.status_code == 413
    chunks = (b"y" * 8192 for _ in range(125))
    chunked = httpx.post(url, content=chunks, headers=bearer(), timeout=10)
    assert chunked.status_code == 413
    still_up = httpx.get(api_server + "/healthz", timeout=10)
    assert still_up.status_code == 200


def test_newsum_api_without_a_token_exits_with_one_clear_line(worker_settings: Settings) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "newsum", "api", "--port", str(free_port())],
        cwd=REPO,
        env=process_env(worker_settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 1
    assert finished.stderr.strip().splitlines() == [
        "error: the HTTP API needs a shared secret: set NEWSUM_API_TOKEN (it is never"
        " served without authentication)"
    ]
