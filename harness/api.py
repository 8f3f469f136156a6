"""What the HTTP API tests share: the secrets, credentials a CMS would send, a closed port,
and the API as a real server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from harness.processes import REPO, process_env
from newsum.api.auth import sign
from newsum.config import Settings

# Each secret at least 32 characters and all different, as the API demands.
TOKEN = "cms-shared-secret-for-tests-0123456789"
METRICS_TOKEN = "metrics-read-only-token-for-tests-0123"
REVIEW_KEY = "review-session-key-for-tests-0123456789abcdef"


def bearer(token: str = TOKEN) -> dict[str, str]:
    """An Authorization header with ``token``."""
    return {"Authorization": f"Bearer {token}"}


def signed(
    method: str,
    target: str,
    body: bytes = b"",
    *,
    token: str = TOKEN,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The HMAC headers a CMS sends for one request (``target`` is path plus query)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "X-Newsum-Timestamp": stamp,
        "X-Newsum-Signature": sign(token, stamp, method, target.encode(), body),
    }


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_port() -> int:
    """A local TCP port free at the time of the call."""
    return closed_port()


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


@contextmanager
def running_api(settings: Settings, **env: str) -> Iterator[str]:
    """A real ``newsum api`` (uvicorn) process for ``settings`` (and extra environment
    variables ``env``); yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "newsum", "api", "--port", str(port)],
        cwd=REPO,
        env=process_env(settings, **{"NEWSUM_API_TOKEN": TOKEN,
                                     "NEWSUM_METRICS_TOKEN": METRICS_TOKEN,
                                     "NEWSUM_LOG_LEVEL": "WARNING", **env}),
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
