"""Faults for the reliability tests and bench: a private Redis server that can be
restarted or paused, dropped PostgreSQL connections, a PostgreSQL table held locked, how
far a running backfill had got when a fault hit it, and an exact count of summaries
written.

Never touches the shared servers' state: the Redis server here is one this process
starts (own port, own directory), and connections are dropped only on a database the
caller created.
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import redis
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from harness.api import free_port
from harness.processes import BackfillProcess

# "Duplicate" below means: a (article, model version) whose generated summary (done, or
# held in needs_review by the faithfulness check) was written more than once. The trigger
# counts each such write (insert, or an update that bumps ``attempts``); a queue claim on
# a generated row is no write.
AUDIT_SQL = [
    "CREATE TABLE IF NOT EXISTS newsum_done_writes ("
    " article_id BIGINT NOT NULL, model_version_id INTEGER NOT NULL,"
    " written_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    "CREATE OR REPLACE FUNCTION newsum_audit_done() RETURNS trigger AS $$ BEGIN"
    " IF NEW.status IN ('done', 'needs_review')"
    " AND (TG_OP = 'INSERT' OR NEW.attempts IS DISTINCT FROM OLD.attempts)"
    " THEN INSERT INTO newsum_done_writes(article_id, model_version_id)"
    " VALUES (NEW.article_id, NEW.model_version_id); END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS newsum_audit_done ON newsum_summaries",
    "CREATE TRIGGER newsum_audit_done AFTER INSERT OR UPDATE ON newsum_summaries"
    " FOR EACH ROW EXECUTE FUNCTION newsum_audit_done()",
]
DUPLICATE_DEFINITION = (
    "duplicates = (article, version) pairs with more than one summary row, plus pairs "
    "whose generated summary was written more than once (counted by a database trigger)"
)
LOST_DEFINITION = (
    "lost = article ids with no generated summary (done or needs_review) at the end"
)


@dataclass(frozen=True)
class BackfillProgress:
    """How far a running backfill had got when a fault was injected.

    A backfill returns only once every id is queued, so ``queued < total`` while its
    process still runs proves the fault hit the backfill mid-run.
    """

    queued: int
    total: int
    running: bool

    @property
    def mid_run(self) -> bool:
        return self.running and self.queued < self.total

    def __str__(self) -> str:
        state = "running" if self.running else "exited"
        return f"{self.queued}/{self.total} queued, backfill {state}"


def backfill_kept_running(batch_size: int) -> dict[str, int]:
    """Settings that keep a backfill running while the workers work.

    It queues one batch per round trip and pauses while more than one batch waits, so it
    returns only once the workers have taken all but the last few batches: a few dozen
    articles behave as the head of an archive far deeper than the high-water mark.
    """
    return {"queue_high_water": batch_size, "enqueue_chunk_size": batch_size}


def queued_so_far(engine: Engine, version_id: int) -> int:
    """Ids queued at least once for ``version_id`` (a first claim inserts its summary row)."""
    with engine.connect() as connection:
        return int(connection.execute(
            text("SELECT count(*) FROM newsum_summaries WHERE model_version_id = :v"),
            {"v": version_id},
        ).scalar_one())


def backfill_progress(backfill: BackfillProcess, engine: Engine, version_id: int,
                      total: int) -> BackfillProgress:
    """Take just before a fault: the count first, then the process (see BackfillProgress)."""
    queued = queued_so_far(engine, version_id)
    return BackfillProgress(queued, total, backfill.running())


class PrivateRedis:
    """A redis-server of our own, restartable at will.

    It persists as docker-compose.yml configures production's (``--appendonly yes``,
    which fsyncs the append-only file once a second); ``appendfsync="always"`` is the
    stricter setting, for comparison.
    """

    def __init__(self, directory: Path, port: int | None = None,
                 appendfsync: str = "everysec") -> None:
        self.directory = directory
        self.port = port or free_port()
        self.appendfsync = appendfsync
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.directory), "--appendonly", "yes",
             "--appendfsync", self.appendfsync, "--logfile", str(self.directory / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(self.url, socket_connect_timeout=1).ping():
                    return self
            except redis.exceptions.ConnectionError:
                time.sleep(0.1)
        raise AssertionError(f"private redis-server on port {self.port} did not start")

    def stop(self) -> None:
        """Stop the server (SIGTERM: it finishes the append-only file first)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def restart(self, down_s: float = 1.0) -> None:
        self.stop()
        time.sleep(down_s)
        self.start()

    def pause(self, seconds: float) -> None:
        """Stall every client for ``seconds`` (``CLIENT PAUSE ... ALL``: connections are
        accepted and commands wait unanswered, as with a hung server or a half-open link;
        no command, not even ``CLIENT UNPAUSE``, ends it early)."""
        client = redis.Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.execute_command("CLIENT", "PAUSE", str(int(seconds * 1000)), "ALL")
        finally:
            client.close()


def terminate_connections(database_url: str) -> int:
    """Terminate every server connection to this (throwaway) database; return how many."""
    url = make_url(database_url)
    assert url.get_backend_name() == "postgresql", "connections are dropped on PostgreSQL only"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            return len(connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                     " WHERE datname = :name AND pid <> pg_backend_pid()"),
                {"name": url.database},
            ).all())
    finally:
        admin.dispose()


def install_write_audit(engine: Engine) -> None:
    """Count every write of a generated summary in ``newsum_done_writes`` (PostgreSQL)."""
    with engine.begin() as connection:
        for statement in AUDIT_SQL:
            connection.execute(text(statement))


def done_writes(engine: Engine) -> Counter[int]:
    """How many times each article's generated summary was written (any version)."""
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT article_id FROM newsum_done_writes")).scalars()
        return Counter(int(r) for r in rows)


def lost_and_duplicates(engine: Engine, article_ids: set[int], version_id: int) -> tuple[int, int]:
    """(lost, duplicates) for ``article_ids`` as the definitions above say."""
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT article_id, status FROM newsum_summaries WHERE model_version_id = :v"),
            {"v": version_id},
        ).all()
    per_article = Counter(int(a) for a, _ in rows)
    done = {int(a) for a, status in rows if status in ("done", "needs_review")}
    writes = done_writes(engine)
    lost = len(article_ids - done)
    duplicates = sum(1 for a in article_ids if per_article[a] > 1 or writes[a] > 1)
    return lost, duplicates


class HeldLock:
    """A table of a throwaway database held ``ACCESS EXCLUSIVE`` by another session, so
    every query that touches it waits: a database that accepts connections and does not
    answer, and requests that pile up until the pool is exhausted."""

    def __init__(self, database_url: str, table: str) -> None:
        self._engine = create_engine(database_url)
        self._table = table
        self._connection = None

    def __enter__(self) -> HeldLock:
        self._connection = self._engine.connect()
        self._connection.begin()
        self._connection.execute(text(f'LOCK TABLE "{self._table}" IN ACCESS EXCLUSIVE MODE'))
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self._connection is not None
        self._connection.rollback()
        self._connection.close()
        self._engine.dispose()
