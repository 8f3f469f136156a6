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
# What the long-lived processes (workers, sweeper, producers) allow one PostgreSQL
# statement and one lock wait: generous for a real query, but a stalled database or a
# forgotten lock becomes an error that is retried and recorded, not a hang.
STATEMENT_TIMEOUT_S = 120
LOCK_TIMEOUT_S = 30


def make_engine(
    url: str,
    *,
    pool_timeout_s: float | None = None,
    statement_timeout_s: float | None = None,
    lock_timeout_s: float | None = None,
    **kwargs: object,
) -> Engine:
    """Create an engine for ``url``.

    SQLite gets foreign keys, WAL and a busy timeout; PostgreSQL gets a connect timeout,
    pre-ping, a pool wait of ``pool_timeout_s``, ``statement_timeout`` and
    ``lock_timeout`` on every session when given, and a log line (and an event count)
    when a pooled connection was dropped.
    """
    if url.startswith("sqlite"):
        # SQLite's busy timeout is its lock wait.
        kwargs.setdefault("connect_args", {"timeout": lock_timeout_s or 30})
        if pool_timeout_s:
            kwargs.setdefault("pool_timeout", pool_timeout_s)
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
        kwargs.setdefault("connect_args", {
            "connect_timeout": CONNECT_TIMEOUT_S,
            **_session_timeouts(statement_timeout_s, lock_timeout_s),
        })
        kwargs.setdefault("pool_timeout", pool_timeout_s or POOL_TIMEOUT_S)
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


def _session_timeouts(statement_s: float | None, lock_s: float | None) -> dict[str, str]:
    """libpq ``options`` setting the session's statement and lock timeouts (ms)."""
    settings = [f"-c {name}={int(seconds * 1000)}"
                for name, seconds in (("statement_timeout", statement_s),
                                      ("lock_timeout", lock_s)) if seconds]
    return {"options": " ".join(settings)} if settings else {}


@lru_cache(maxsize=8)
def engine_for(database_url: str) -> Engine:
    """One engine (and connection pool) per database URL and process.

    Long-lived processes (workers, the sweeper, producers) share it; create it after any
    fork, in the process that uses it.
    """
    return make_engine(database_url, statement_timeout_s=STATEMENT_TIMEOUT_S,
                       lock_timeout_s=LOCK_TIMEOUT_S)


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
    """A session inside one transaction: committed on success, rolled back on error.

    The session is made directly, not by a new sessionmaker: each sessionmaker defines a
    class of its own, garbage that only a full collection frees (a backfill opens two
    transactions per chunk).
    """
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session
