"""Engine and session factory."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from newsum.config import mask_url
from newsum.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

# Connections this process saw dropped, not yet reported as an event (see take_dropped).
_dropped_connections = 0
_dropped_lock = threading.Lock()


def take_dropped() -> int:
    """How many pooled connections were found dropped since the last call.

    The invalidation hook cannot write to the database it just lost; the worker asks
    here after a batch and records the count as an event.
    """
    global _dropped_connections
    with _dropped_lock:
        count, _dropped_connections = _dropped_connections, 0
    return count


# An unreachable PostgreSQL server fails a connection in seconds instead of the OS's
# TCP timeout (minutes), so the API answers 503 and a worker retries promptly.
CONNECT_TIMEOUT_S = 3
# A request queued behind an exhausted pool fails in seconds too (the API answers 503).
POOL_TIMEOUT_S = 5


def make_engine(url: str, **kwargs: object) -> Engine:
    """Create an engine for ``url``.

    SQLite gets foreign keys, WAL and a busy timeout; PostgreSQL gets a connect timeout,
    pre-ping, and a log line (and an event count) when a pooled connection was dropped.
    """
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            # WAL lets the API, the worker and the CLI read while one of them writes.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if url.startswith("postgresql"):
        kwargs.setdefault("connect_args", {"connect_timeout": CONNECT_TIMEOUT_S})
        kwargs.setdefault("pool_timeout", POOL_TIMEOUT_S)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "invalidate")
    def _dropped(_dbapi_connection, _record, exception) -> None:  # type: ignore[no-untyped-def]
        # A server restart or a terminated backend is otherwise silent (pre-ping reconnects).
        global _dropped_connections
        log.warning("database connection dropped, reconnecting (%s)",
                    type(exception).__name__ if exception is not None else "invalidated")
        with _dropped_lock:
            _dropped_connections += 1

    return engine


@lru_cache(maxsize=8)
def engine_for(database_url: str) -> Engine:
    """One engine (and connection pool) per database URL and process.

    Long-lived processes (workers, the sweeper, producers) share it; create it after any
    fork, in the process that uses it.
    """
    return make_engine(database_url)


def check_connection(engine: Engine) -> None:
    """Raise :class:`DatabaseUnavailable` unless the database answers a trivial query."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailable(
            f"cannot reach the database at {mask_url(str(engine.url.render_as_string(False)))}:"
            f" {reason} (check NEWSUM_DATABASE_URL and that the server is running)"
        ) from exc


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine`` that keeps objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session inside one transaction: committed on success, rolled back on error."""
    with session_factory(engine)() as session, session.begin():
        yield session
