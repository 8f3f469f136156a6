"""``/healthz``: whether the database and the broker answer, cheap and bounded.

One probe per app, reused: the Redis client keeps its connection between calls (opening
one per call costs the broker a connection per load-balancer tick), every check fails
within ``api_stall_timeout_s``, and the answer is kept for ``CACHE_S`` so that a flood
of health checks costs one round trip each second.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import redis
from sqlalchemy import Engine, select

from newsum.broker.redis import redis_client
from newsum.config import Settings, is_redis_url
from newsum.db.models import Summary
from newsum.web.errors import describe

log = logging.getLogger(__name__)

CACHE_S = 1.0


class HealthProbe:
    """Checks the database and the broker; remembers the answer for a second."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self._settings = settings
        self._engine = engine
        self._timeout = settings.api_stall_timeout_s
        self._redis: redis.Redis | None = (
            redis_client(settings.broker_url, self._timeout)
            if is_redis_url(settings.broker_url) else None
        )
        self._lock = threading.Lock()
        self._checked_at = -CACHE_S
        self._answer: dict[str, bool] = {}

    def check(self) -> dict[str, bool]:
        """``{"database": bool, "broker": bool}``, at most ``CACHE_S`` old."""
        with self._lock:
            if time.monotonic() - self._checked_at < CACHE_S:
                return dict(self._answer)
            self._answer = {
                "database": _reachable(self._read_database),
                "broker": _reachable(self._ping_broker),
            }
            self._checked_at = time.monotonic()
            return dict(self._answer)

    def _read_database(self) -> None:
        """Read newsum's own table, not just ``SELECT 1``: a pool with no free connection,
        or a table locked past the lock timeout, is a database that cannot serve."""
        with self._engine.connect() as connection:
            connection.execute(select(Summary.id).limit(1)).all()

    def _ping_broker(self) -> None:
        if self._redis is not None:
            self._redis.ping()
            return
        from kombu import Connection

        with Connection(self._settings.broker_url, connect_timeout=self._timeout) as connection:
            connection.ensure_connection(max_retries=1, timeout=self._timeout)

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()


def _reachable(check: Callable[[], None]) -> bool:
    """Run a check; report whether it passed (the reason goes to the log, not the client)."""
    try:
        check()
    except Exception as exc:  # a health check reports any failure as "down"
        log.warning("healthz: %s", describe(exc))
        return False
    return True
