"""The one way newsum builds a Redis client (the API's replay guard and health check, the
queue statistics, the enqueue's broker check)."""

from __future__ import annotations

from functools import lru_cache

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


@lru_cache(maxsize=8)
def kept_client(url: str, timeout_s: float, read_timeout_s: float) -> redis.Redis:
    """A :func:`redis_client` per broker and timeouts, kept for the process.

    Building a client costs more than the command it sends (redis-py reads its package
    metadata for each), and one built per call leaves garbage cycles behind: a backfill
    asks the queue's depth once per chunk. redis-py makes new connections after a fork,
    and replaces one the server closed when it takes it from the pool.
    """
    return redis_client(url, timeout_s, read_timeout_s)
