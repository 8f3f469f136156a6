"""Flower started by ``newsum flower`` as a real process: basic auth, and the queue depth."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import httpx
import psutil
import pytest
from sqlalchemy import Engine

from harness.api import free_port, wait_for_http
from harness.newsroom import add_version, insert_articles
from harness.processes import REPO, process_env, run_cli
from newsum.broker.enqueue import enqueue
from newsum.broker.stats import queue_depth
from newsum.config import Settings

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
PASSWORD = "flower-pass-for-tests"




@pytest.fixture
def flower_process(worker_settings: Settings) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A running ``newsum flower`` on the test's broker key space, and its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "newsum", "flower"],
        cwd=REPO,
        env=process_env(
            worker_settings,
            NEWSUM_FLOWER_PASSWORD=PASSWORD,
            NEWSUM_FLOWER_PORT=str(port),
            NEWSUM_LOG_LEVEL="WARNING",
            # Would open Flower's HTTP API to anyone if newsum passed it on.
            FLOWER_UNAUTHENTICATED_API="true",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/healthcheck", process)
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture
def flower(flower_process: tuple[str, subprocess.Popen[bytes]]) -> str:
    """Base URL of a running Flower."""
    return flower_process[0]


def flower_depth(base: str, queue: str) -> int:
    answer = httpx.get(f"{base}/api/queues/length", auth=("admin", PASSWORD), timeout=10)
    assert answer.status_code == 200, answer.text
    lengths = {item["name"]: item["messages"] for item in answer.json()["active_queues"]}
    return lengths[queue]


def test_flower_reports_the_queue_depth_newsum_reports(
    flower: str, worker_settings: Settings, engine: Engine
) -> None:
    add_version(engine, "v1")
    insert_articles(engine, worker_settings, [{"id": i, "title": "T", "body": "B"} for i in
                                              range(1, 8)])
    assert flower_depth(flower, "summarize") == queue_depth(worker_settings) == 0

    enqueue(range(1, 6), settings=worker_settings)
    assert flower_depth(flower, "summarize") == queue_depth(worker_settings) == 5
    enqueue(range(1, 8), settings=worker_settings)  # 1-5 are already queued
    assert flower_depth(flower, "summarize") == queue_depth(worker_settings) == 7
    status = run_cli(worker_settings, "status")
    assert status.returncode == 0, status.stderr
    assert "queue depth: 7 " in status.stdout

    page = httpx.get(f"{flower}/broker", auth=("admin", PASSWORD), timeout=10)
    assert page.status_code == 200
    assert "summarize" in page.text


def test_flower_refuses_requests_without_the_right_basic_auth(
    flower_process: tuple[str, subprocess.Popen[bytes]],
) -> None:
    flower, process = flower_process
    assert PASSWORD not in " ".join(psutil.Process(process.pid).cmdline())
    for auth in (None, ("admin", "wrong"), ("someone", PASSWORD)):
        for path in ("/", "/api/queues/length", "/broker", "/api/workers", "/metrics"):
            answer = httpx.get(flower + path, auth=auth, timeout=10)
            assert answer.status_code == 401, (auth, path)
    for path in ("/", "/metrics"):
        assert httpx.get(flower + path, auth=("admin", PASSWORD), timeout=10).status_code == 200


def test_newsum_flower_without_a_password_exits_with_one_clear_line(
    worker_settings: Settings,
) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "newsum", "flower"],
        cwd=REPO,
        env=process_env(worker_settings, NEWSUM_FLOWER_PORT=str(free_port())),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 1
    assert finished.stderr.strip().splitlines() == [
        "error: Flower is never served without authentication: set NEWSUM_FLOWER_PASSWORD"
    ]
