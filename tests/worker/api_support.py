"""What the HTTP API tests share: a token, credentials a CMS would send, a closed port."""

from __future__ import annotations

import socket
import time

from newsum.worker.api_auth import sign

TOKEN = "cms-shared-secret-for-tests-0123456789"


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
