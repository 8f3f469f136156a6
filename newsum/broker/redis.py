"""The one way newsum builds a Redis client (the API's replay guard, the queue statistics)."""

from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry


def redis_client(url: str, timeout_s: float = 1.0) -> redis.Redis:
    """A Redis client that fails within ``timeout_s`` instead of retrying or hanging."""
    return redis.Redis.from_url(
        # redis-py spells kombu's redis+socket:// as unix://
        url.replace("redis+socket://", "unix://", 1),
        socket_connect_timeout=timeout_s,
        socket_timeout=timeout_s,
        retry=Retry(NoBackoff(), 0),
    )
