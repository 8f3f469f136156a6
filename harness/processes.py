"""Real newsum processes for the tests: a Celery worker (``newsum worker``), celery beat,
a backfill, and the CLI, each started as a subprocess against the test's database and
Redis prefix."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Engine, select

from newsum.config import Settings
from newsum.db.engine import transaction
from newsum.db.models import FINAL_STATES, Summary, SummaryStatus

REPO = Path(__file__).resolve().parents[1]
LOADED = re.compile(r"model loaded pid=(\d+) version=(\S+)")


def process_env(settings: Settings, **extra: str) -> dict[str, str]:
    """Environment of a newsum subprocess: the settings as NEWSUM_* variables."""
    env = settings.as_env()
    env.update(
        PYTHONPATH=str(REPO),
        # One torch thread: on a busy two-core machine two threads that wait on each
        # other at every step run several times slower than one.
        OMP_NUM_THREADS="1",
    )
    env.update(extra)
    return env


def run_cli(
    settings: Settings, *args: str, timeout: float = 180, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m newsum ARGS`` to completion (``input`` on its standard input)."""
    return subprocess.run(
        [sys.executable, "-m", "newsum", *args], env=process_env(settings), cwd=REPO,
        capture_output=True, text=True, timeout=timeout, input=input,
        stdin=subprocess.DEVNULL if input is None else None,
    )


def status_counts(stdout: str) -> Counter[str]:
    """The summaries per state in `newsum status`'s table, summed over model versions."""
    states = {str(state) for state in SummaryStatus} | {"in queue"}
    counts: Counter[str] = Counter()
    for line in stdout.splitlines():
        match = re.fullmatch(r"\S+\s+(.+?)\s+(\d+)", line.strip())
        if match and match[1] in states:
            counts[match[1]] += int(match[2])
    return counts


def problems_in_status(settings: Settings) -> str:
    """The "problems" part of `newsum status` (what workers recorded going wrong)."""
    status = run_cli(settings, "status")
    assert status.returncode == 0, status.stderr
    return status.stdout.partition("problems in the last")[2]


class NewsumProcess:
    """A long-running newsum subprocess in its own process group, logging to a file."""

    def __init__(
        self, settings: Settings, log_path: Path, *args: str, env: dict[str, str] | None = None
    ) -> None:
        self.settings = settings
        self.log_path = log_path
        self.args = args
        self.env = env or {}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> NewsumProcess:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "newsum", *self.args],
                env=process_env(self.settings, **self.env),
                cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_log(self, pattern: str, timeout: float = 120, count: int = 1) -> None:
        """Wait until ``pattern`` (a regex) appears ``count`` times in the log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(re.findall(pattern, self.log())) >= count:
                return
            assert self.process is not None and self.process.poll() is None, self.log()[-3000:]
            time.sleep(0.2)
        raise AssertionError(f"{pattern!r} not logged within {timeout}s:\n{self.log()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the whole process group (parent and pool children), as a crash would."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """Warm shutdown (SIGTERM); killed if it does not stop within 30 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
        with contextlib.suppress(ProcessLookupError):  # a pool child left by its parent
            os.killpg(self.process.pid, signal.SIGKILL)


class WorkerProcess(NewsumProcess):
    """``newsum worker``: one Celery worker consuming the test's queue."""

    def __init__(
        self, settings: Settings, log_path: Path, pool: str = "prefork",
        env: dict[str, str] | None = None,
    ) -> None:
        super().__init__(settings, log_path, "worker", "--pool", pool, env=env)

    def wait_ready(self, timeout: float = 120) -> WorkerProcess:
        self.wait_for_log(r"celery@\S+ ready\.", timeout)
        return self

    def model_loads(self) -> Counter[int]:
        """How many times each process of this worker loaded a model."""
        return Counter(int(pid) for pid, _ in LOADED.findall(self.log()))


class BackfillProcess(NewsumProcess):
    """``newsum backfill`` as an operator runs it, in the background (its progress bar and
    its one-line report or error go to the log)."""

    def __init__(self, settings: Settings, log_path: Path, *args: str) -> None:
        super().__init__(settings, log_path, "backfill", *args)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait(self, timeout: float = 600) -> int:
        """Wait for the backfill to exit; return its exit status."""
        assert self.process is not None
        return self.process.wait(timeout=timeout)


def wait_until_final(
    engine: Engine, article_ids: Iterable[int], model_version_id: int, timeout: float = 180,
    worker: NewsumProcess | None = None,
) -> dict[int, Summary]:
    """Wait until each id has a final row (done/failed/skipped, no queue claim) and return them.

    On timeout the assertion shows the states and the tail of ``worker``'s log.
    """
    wanted = set(article_ids)
    deadline = time.monotonic() + timeout
    rows: dict[int, Summary] = {}
    while time.monotonic() < deadline:
        with transaction(engine) as session:
            rows = {
                row.article_id: row
                for row in session.scalars(
                    select(Summary).where(
                        Summary.model_version_id == model_version_id,
                        Summary.article_id.in_(wanted),
                    )
                )
            }
        if set(rows) == wanted and all(
            r.status in FINAL_STATES and r.queued_at is None for r in rows.values()
        ):
            return rows
        time.sleep(0.3)
    states = {i: (rows[i].status, rows[i].queued_at) if i in rows else None for i in wanted}
    log = worker.log()[-4000:] if worker is not None else ""
    raise AssertionError(f"not all articles reached a final state in {timeout}s: {states}\n{log}")


def all_summaries(engine: Engine) -> list[Summary]:
    with transaction(engine) as session:
        return list(session.scalars(select(Summary).order_by(Summary.article_id)))
