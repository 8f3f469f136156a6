"""The one way newsum builds a Redis client (the API's replay guard and health check, the
queue statistics, the enqueue's broker check)."""

from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry


def redis_client(url: str, timeout_s: float = 1.0,
                 read_timeout_s: float | None = None) -> redis.Redis:
    """A Redis client that fails within ``timeout_s`` (a command within ``read_timeout_s``
    when given) instead of retrying or hanging on a Redis that does not answer."""
    return redis.Redis.from_url(
        # redis-py spells kombu's redis+socket:// as unix://
        url.replace("redis+socket://", "unix://", 1),
        socket_connect_timeout=timeout_s,
        socket_timeout=read_timeout_s or timeout_s,
        retry=Retry(NoBackoff(), 0),
    )
