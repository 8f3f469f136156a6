"""``newsum api`` as a real uvicorn process, called over TCP as the CMS would."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine

from newsum.config import Settings
from tests.worker.api_support import TOKEN, bearer, free_port, signed
from tests.worker.newsroom import add_version, insert_articles
from tests.worker.processes import REPO, process_env

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def wait_for_http(url: str, process: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    """Return once ``url`` answers; fail with the process's output if it dies or stalls."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            pytest.fail(f"server exited with {process.returncode}:\n{output}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer within {timeout_s} s")


@pytest.fixture
def api_server(worker_settings: Settings, engine: Engine) -> Iterator[str]:
    add_version(engine, "v1")
    insert_articles(engine, worker_settings, [{"id": 41, "title": "T", "body": "A story."}])
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "newsum", "api", "--port", str(port)],
        cwd=REPO,
        env=process_env(worker_settings, NEWSUM_API_TOKEN=TOKEN, NEWSUM_LOG_LEVEL="WARNING"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/healthz", process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


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
