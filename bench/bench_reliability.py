"""Reliability bench: load and faults during a running backfill, against real services.

    PYTHONPATH=. .venv/bin/python -m bench.bench_reliability [--articles 5000]
        [--fault-articles 200] [--only SCENARIO ...] [--redis-appendfsync always]

Every scenario gets its own PostgreSQL database (created and dropped here) and its own
``redis-server`` on a free port (persisting as docker-compose.yml configures Redis,
unless ``--redis-appendfsync always``), runs real ``newsum worker`` processes on the tiny
model (built under a temp dir, served as the base model alone) and a real
``newsum backfill`` process. In a fault scenario the backfill pauses while the queue
holds more than one batch, as a backfill of a real archive pauses at the high-water
mark, so it runs until the workers have nearly caught up; each fault is applied while it
runs, and the table says how far it had got (ids queued, process still running) at every
fault. The first pass ends when the backfill has exited and every id it queued is in a
final state: the lost and duplicates columns count what it achieved on its own. If ids
remain without a done summary the backfill is run once more, and a separate column
counts again after that re-run. Each row also says what the workers' logs and
``newsum status`` showed. The table is printed and written as Markdown to ``--out``.
Never restarts or flushes the shared servers.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
from sqlalchemy import Engine, text

from harness.api import bearer, running_api
from harness.faults import (
    DUPLICATE_DEFINITION,
    LOST_DEFINITION,
    BackfillProgress,
    PrivateRedis,
    backfill_kept_running,
    backfill_progress,
    install_write_audit,
    lost_and_duplicates,
    terminate_connections,
)
from harness.newsroom import add_version, insert_articles
from harness.postgres import create_postgres_database, drop_postgres_database
from harness.processes import (
    BackfillProcess,
    NewsumProcess,
    WorkerProcess,
    run_cli,
    wait_until_final,
)
from newsum.config import Settings
from newsum.db.engine import make_engine
from newsum.db.events import EventKind
from newsum.db.migrate import upgrade


@dataclass
class Row:
    """One table row: lost and duplicates after the first pass, then after a re-run."""

    scenario: str
    done_what: str
    articles: int
    lost: int = -1
    duplicates: int = -1
    after_rerun: str = "not needed"
    outcome: str = ""
    extra: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Lab:
    """What every scenario shares: a scratch root, the tiny model, Redis's fsync policy."""

    root: Path
    model_dir: Path
    appendfsync: str


@dataclass
class Run:
    """One scenario's database, broker, workers and articles."""

    name: str
    root: Path
    settings: Settings
    engine: Engine
    version_id: int
    ids: list[int]
    redis: PrivateRedis
    workers: list[WorkerProcess] = field(default_factory=list)
    beat: NewsumProcess | None = None
    backfills: list[BackfillProcess] = field(default_factory=list)
    faults: list[BackfillProgress] = field(default_factory=list)

    def worker(self, label: str, **env: str) -> WorkerProcess:
        worker = WorkerProcess(self.settings, self.root / f"{label}.log", env=env)
        worker.args = (*worker.args, "--hostname", f"celery@{label}.%h")
        self.workers.append(worker.start())
        return worker

    def start_sweeper(self) -> None:
        """``newsum beat``: the sweeper queues again ids whose message a fault lost."""
        self.beat = NewsumProcess(self.settings, self.root / "beat.log", "beat").start()

    def start_backfill(self) -> BackfillProcess:
        """A ``newsum backfill`` process, as an operator starts one."""
        log = self.root / f"backfill-{len(self.backfills) + 1}.log"
        backfill = BackfillProcess(self.settings, log).start()
        self.backfills.append(backfill)
        return backfill

    def at_fault(self) -> BackfillProgress:
        """Call just before applying a fault: records how far the first backfill had got."""
        progress = backfill_progress(self.backfills[0], self.engine, self.version_id,
                                     len(self.ids))
        self.faults.append(progress)
        return progress

    def done(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(text(
                "SELECT count(*) FROM newsum_summaries"
                " WHERE status IN ('done', 'needs_review')")).scalar_one())

    def failed_reasons(self) -> dict[str, int]:
        with self.engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT reason, count(*) FROM newsum_summaries WHERE status = 'failed'"
                " GROUP BY reason")).all()
        return {str(reason)[:60]: int(count) for reason, count in rows}

    def logs(self) -> str:
        return "".join(w.log() for w in self.workers)

    def wait_done_at_least(self, count: int, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while self.done() < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: fewer than {count} done in {timeout}s")
            time.sleep(0.05)


def bench_settings(root: Path, database_url: str, broker_url: str, **extra: object) -> Settings:
    values: dict[str, object] = dict(
        database_url=database_url, data_dir=root / "data", broker_url=broker_url,
        broker_key_prefix="bench:", precision="fp32", device="cpu", batch_size=8,
        batch_flush_interval_s=0.5, visibility_timeout_s=20, task_time_limit_s=18,
        task_soft_time_limit_s=15, task_retry_backoff_s=0.5,
        task_retry_backoff_max_s=4.0, queue_high_water=2000,
    )
    values.update(extra)
    return Settings(**values)  # type: ignore[arg-type]


# The product's safety net for a message lost in flight (kombu's Redis transport loses one
# popped by BRPOP but not yet registered as unacknowledged when its worker is killed):
# the sweeper queues again ids whose claim went stale. Production waits 2 h before it
# calls a claim stale; a fault scenario's queue drains in well under a minute.
SWEEPER = {"queue_claim_timeout_s": 60, "sweeper_interval_s": 10, "sweeper_window_s": 1}


def open_run(lab: Lab, name: str, pairs: list[tuple[str, str]], *,
             model_dir: Path | None = None, fault: bool = True, **extra: object) -> Run:
    """A scenario's database, Redis and articles; for a fault scenario, a running beat
    and a backfill that runs while the workers work (see ``backfill_kept_running``)."""
    if fault:
        extra = {**SWEEPER, **backfill_kept_running(int(extra.get("batch_size", 8))), **extra}
    model_dir = model_dir or lab.model_dir
    run_root = lab.root / name
    run_root.mkdir(parents=True)
    redis = PrivateRedis(run_root / "redis", appendfsync=lab.appendfsync).start()
    settings = bench_settings(run_root, create_postgres_database(), redis.url, **extra)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    install_write_audit(engine)
    version_id = add_version(engine, "tiny-base", base_model=str(model_dir))
    insert_articles(engine, settings, [
        {"id": i, "title": title, "body": body} for i, (title, body) in enumerate(pairs, 1)
    ])
    run = Run(name, run_root, settings, engine, version_id, list(range(1, len(pairs) + 1)),
              redis)
    if fault:
        run.start_sweeper()
    return run


def close_run(run: Run) -> None:
    for process in [*run.backfills, *run.workers]:
        process.stop()
    if run.beat is not None:
        run.beat.stop()
    run.redis.stop()
    url = run.settings.database_url
    run.engine.dispose()
    drop_postgres_database(url)


def status_problems(settings: Settings) -> tuple[list[str], str]:
    """The problem kinds ``newsum status`` lists, and its whole output."""
    output = run_cli(settings, "status").stdout
    problems = output.partition("problems in the last")[2]
    return [kind.value for kind in EventKind if f"  {kind.value} " in problems], output


def finish(run: Run, row: Row, evidence: dict[str, str], timeout: float,
           status_seen: list[str] | None = None) -> Row:
    """Count the first pass; re-run the backfill once if ids lack a done summary and
    count again; then fill the row's outcome with what the logs and status showed."""
    live = [w for w in run.workers if w.process is not None and w.process.poll() is None]
    row.extra.append("first backfill " + wait_for_backfill(run, run.backfills[0], timeout,
                                                          live[-1]))
    first_exit = run.backfills[0].wait()
    row.lost, row.duplicates = lost_and_duplicates(run.engine, set(run.ids), run.version_id)
    failures = run.failed_reasons()
    if failures:
        row.extra.append(f"failed rows after the first pass: {failures}")
    if row.lost:
        row.extra.append("re-run backfill " + wait_for_backfill(run, run.start_backfill(),
                                                                timeout, live[-1]))
        lost, duplicates = lost_and_duplicates(run.engine, set(run.ids), run.version_id)
        row.after_rerun = f"lost {lost}, duplicates {duplicates}"
    else:
        lost, duplicates = row.lost, row.duplicates
    if run.faults:
        row.extra.append("at each fault: " + "; ".join(str(p) for p in run.faults))
    logs = run.logs()
    evidence = {**evidence, "sweeper requeued stale claims": r"stale_requeued=[1-9]"}
    seen = [f"{label} x{len(re.findall(pattern, logs))}"
            for label, pattern in evidence.items() if re.search(pattern, logs)]
    kinds, status = status_problems(run.settings)
    shown = list(dict.fromkeys([*(status_seen or []), *kinds]))
    row.extra.append("newsum status: " + " | ".join(
        line.strip() for line in status.splitlines() if "tiny-base" in line or "  " in line[:2]))
    stopped = f" (the fault stopped the backfill: exit {first_exit})" if first_exit else ""
    row.outcome = verdict(row, lost, duplicates, run.faults) + stopped + (
        "; logged: " + ", ".join(seen) if seen else "; nothing logged") + (
        "; status: " + ", ".join(shown) if shown else "; status: nothing")
    return row


def wait_for_backfill(run: Run, backfill: BackfillProcess, timeout: float,
                      worker: WorkerProcess) -> str:
    """Wait for ``backfill`` to exit and every id queued so far to reach a final state;
    return its exit status and last line."""
    code = backfill.wait(timeout)
    last = (backfill.log().strip().splitlines() or ["(no output)"])[-1].strip()
    wait_queued_final(run, timeout, worker)
    return f"exit {code}: {last}"


def wait_queued_final(run: Run, timeout: float, worker: WorkerProcess) -> None:
    """Wait until every id queued so far is in a final state with no queue claim."""
    with run.engine.connect() as connection:
        queued = connection.execute(text(
            "SELECT article_id FROM newsum_summaries WHERE model_version_id = :v"),
            {"v": run.version_id}).scalars().all()
    wait_until_final(run.engine, queued, run.version_id, timeout=timeout, worker=worker)


def verdict(row: Row, lost: int, duplicates: int, faults: list[BackfillProgress]) -> str:
    """ok when the first pass lost nothing; "ok after re-run" when the re-run finished."""
    if any(not progress.mid_run for progress in faults):
        return "INVALID: a fault came after the backfill had queued everything"
    if lost or duplicates:
        return "FAIL"
    return "ok" if row.lost == row.duplicates == 0 else "ok after re-run"


def scenario_load(lab: Lab, pairs: list[tuple[str, str]]) -> list[Row]:
    run = open_run(lab, "load", pairs, fault=False)
    row = Row("load", "2 workers; backfill + every 10th id posted to the API", len(pairs))
    try:
        for label in ("w1", "w2"):
            run.worker(label).wait_ready(timeout=300)
        memory = MemorySampler(run)
        started = time.time()
        with running_api(run.settings) as api:
            run.start_backfill()
            with httpx.Client(base_url=api, headers=bearer(), timeout=30) as client:
                for article_id in run.ids[::10]:
                    client.post(f"/articles/{article_id}/summarize").raise_for_status()
        finish(run, row, {"model loads": r"model loaded pid="}, timeout=3600)
        memory.stop()
        with run.engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT extract(epoch FROM updated_at - created_at),"
                " extract(epoch FROM updated_at) FROM newsum_summaries"
                " WHERE status IN ('done', 'needs_review')")).all()
        latencies = sorted(float(r[0]) for r in rows)
        elapsed = max(float(r[1]) for r in rows) - started
        q = statistics.quantiles(latencies, n=100)
        row.extra.append(
            f"throughput {len(rows) / elapsed:.1f} articles/s over {elapsed:.0f} s; "
            f"enqueue->summary latency p50 {q[49]:.1f} s, p95 {q[94]:.1f} s")
        return [row, memory.row(row)]
    finally:
        close_run(run)


class MemorySampler:
    """Samples the RSS of each worker's pool child every 2 s while the load runs.

    The model runtime lives in the pool child; a leak there (a cache of tensors, growing
    tokenizer state) shows as RSS that keeps rising with the articles summarised.
    """

    GROWTH_LIMIT = 0.10  # flat: at most 10% above its size a quarter of the way in

    def __init__(self, run: Run) -> None:
        self.run = run
        self.children = {
            worker.log_path.stem: psutil.Process(worker.pid).children()[0]
            for worker in run.workers
        }
        self.samples: list[tuple[int, dict[str, int]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(2.0):
            try:
                rss = {name: child.memory_info().rss for name, child in self.children.items()}
            except psutil.Error:
                continue
            self.samples.append((self.run.done(), rss))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def row(self, load: Row) -> Row:
        """The memory row: per worker, articles it summarised and RSS early vs at the end."""
        articles = {name: articles_summarised(worker.log())
                    for name, worker in zip(self.children, self.run.workers, strict=True)}
        row = Row("worker memory", "RSS of each worker's pool child, sampled every 2 s "
                  "during the load run", min(articles.values()), load.lost, load.duplicates)
        quarter = next((rss for done, rss in self.samples if done >= len(self.run.ids) // 4),
                       None)
        if quarter is None or not self.samples:
            row.outcome = "FAIL: too few samples"
            return row
        end = self.samples[-1][1]
        growth = {name: end[name] / quarter[name] - 1 for name in end}
        flat = all(g <= self.GROWTH_LIMIT for g in growth.values())
        row.outcome = ("ok" if flat and load.lost == load.duplicates == 0 else "FAIL") + "; " + (
            ", ".join(f"{name}: {articles[name]} articles, {quarter[name] / 2**20:.0f} MB at "
                      f"25% -> {end[name] / 2**20:.0f} MB at the end ({growth[name]:+.1%})"
                      for name in end))
        return row


def articles_summarised(log: str) -> int:
    """Articles a worker generated (done or held for review), from its batch log lines."""
    return sum(
        int(done) + int(held)
        for done, held in re.findall(r"batch messages=\d+ done=(\d+) needs_review=(\d+)", log)
    )


def scenario_kill(lab: Lab, pairs: list[tuple[str, str]]) -> Row:
    run = open_run(lab, "sigkill", pairs)
    row = Row("worker SIGKILL x3", "kill -9 the worker group mid-backfill, restart", len(pairs))
    try:
        worker = run.worker("w0").wait_ready(timeout=300)
        run.start_backfill()
        for kill in range(1, 4):
            run.wait_done_at_least(kill * len(pairs) // 5)
            run.at_fault()
            worker.kill()
            worker = run.worker(f"w{kill}").wait_ready(timeout=300)
        return finish(run, row, {"worker starts": r"ready\."},
                      timeout=1200)
    finally:
        close_run(run)


def scenario_child_kill(lab: Lab, pairs: list[tuple[str, str]]) -> Row:
    run = open_run(lab, "childkill", pairs)
    row = Row("pool process SIGKILL x3", "kill -9 only the worker's pool process (as the OOM "
              "killer would) mid-backfill; no restart", len(pairs))
    try:
        worker = run.worker("w0").wait_ready(timeout=300)
        run.start_backfill()
        for kill in range(1, 4):
            run.wait_done_at_least(kill * len(pairs) // 5)
            run.at_fault()
            psutil.Process(worker.pid).children()[0].kill()
            time.sleep(1.0)
        return finish(run, row, {"worker lost": "worker lost mid-batch"}, timeout=1200)
    finally:
        close_run(run)


def scenario_redis(lab: Lab, pairs: list[tuple[str, str]]) -> Row:
    run = open_run(lab, "redis", pairs)
    row = Row("Redis restarted", "", len(pairs))
    try:
        run.worker("w0").wait_ready(timeout=300)
        run.start_backfill()
        run.wait_done_at_least(len(pairs) // 3)
        run.at_fault()
        down = time.monotonic()
        run.redis.stop()
        _, during = status_problems(run.settings)
        time.sleep(3.0)
        run.redis.start()
        row.done_what = (f"private redis-server (appendfsync {lab.appendfsync}) stopped "
                         f"mid-backfill, started again {time.monotonic() - down:.0f} s later")
        outage = ["queue UNAVAILABLE during the outage"] if "queue: UNAVAILABLE" in during else []
        return finish(run, row, {"broker lost": "Connection to broker lost"}, timeout=1200,
                      status_seen=outage)
    finally:
        close_run(run)


def scenario_postgres(lab: Lab, pairs: list[tuple[str, str]]) -> Row:
    run = open_run(lab, "postgres", pairs)
    row = Row("PostgreSQL connections dropped", "", len(pairs))
    try:
        run.worker("w0").wait_ready(timeout=300)
        run.start_backfill()
        run.wait_done_at_least(len(pairs) // 4)
        run.at_fault()
        dropped = 0
        for _ in range(20):
            dropped += terminate_connections(run.settings.database_url)
            time.sleep(0.5)
        row.done_what = (f"pg_terminate_backend x20 over 10 s mid-backfill ({dropped} "
                         "connections to the scenario's database)")
        return finish(run, row, {"dropped": "database connection dropped",
                                 "retried": "retried after a transient fault"}, timeout=1200)
    finally:
        close_run(run)


def scenario_soft_limit(lab: Lab, pairs: list[tuple[str, str]]) -> Row:
    long_pairs = [(title, (body + " ") * 12) for title, body in pairs]
    # Large batches of long articles, so that one batch surely needs more than 1 s.
    run = open_run(lab, "softlimit", long_pairs, batch_size=32)
    row = Row("batch past soft time limit", "worker with a 1 s soft limit during the backfill, "
              "then a normal one", len(pairs))
    try:
        # The hard limit stays the bench's (below the visibility timeout, as Settings
        # demands); the 1 s soft limit raises inside the batch long before it.
        slow = run.worker("w-limited", NEWSUM_TASK_SOFT_TIME_LIMIT_S="1").wait_ready(timeout=300)
        run.start_backfill()
        slow.wait_for_log("passed the soft time limit", timeout=600)
        run.at_fault()  # the first batch past the limit
        run.backfills[0].wait(1200)
        wait_queued_final(run, 1200, slow)
        slow.stop()
        run.worker("w-normal").wait_ready(timeout=300)
        return finish(run, row, {"soft limit": "passed the soft time limit"}, timeout=1200)
    finally:
        close_run(run)


def scenario_unreadable(lab: Lab, pairs: list[tuple[str, str]]) -> Row:
    import shutil

    copy = lab.root / "unreadable-model"
    shutil.copytree(lab.model_dir, copy)
    run = open_run(lab, "unreadable", pairs, model_dir=copy)
    # root reads through chmod 000: there the files are moved away instead.
    as_root = os.geteuid() == 0
    aside = lab.root / "unreadable-model.aside"
    row = Row("model files unreadable at start",
              ("model dir moved away" if as_root else "chmod 000 the model dir")
              + " at worker start, restored once the backfill's first rows failed", len(pairs))

    def restore() -> None:
        if aside.exists():
            aside.rename(copy)
        copy.chmod(0o755)

    try:
        if as_root:
            copy.rename(aside)
        else:
            copy.chmod(0)
        run.worker("w0").wait_ready(timeout=300)
        run.start_backfill()
        deadline = time.monotonic() + 90
        while not run.failed_reasons() and time.monotonic() < deadline:
            time.sleep(0.5)
        run.at_fault()  # rows failed while the backfill ran
        restore()
        return finish(run, row, {"load failed": "cannot load model version|model not loaded"},
                      timeout=1200)
    finally:
        restore()
        close_run(run)


SCENARIOS: dict[str, Callable[[Lab, list[tuple[str, str]]], Row | list[Row]]] = {
    "load": scenario_load, "sigkill": scenario_kill, "childkill": scenario_child_kill,
    "redis": scenario_redis,
    "postgres": scenario_postgres, "softlimit": scenario_soft_limit,
    "unreadable": scenario_unreadable,
}


HEADERS = ("scenario", "what was done", "articles", "lost", "duplicates",
           "after one backfill re-run", "outcome")
FIRST_PASS_DEFINITION = (
    "lost and duplicates count the first pass: the backfill, the workers and the sweeper "
    "on their own, once the backfill has exited and every id it queued is final; the "
    "backfill is run once more only if ids were left without a done summary, and the "
    "next column counts again after that re-run"
)


def cells(row: Row) -> tuple[str, ...]:
    return (row.scenario, row.done_what, str(row.articles), str(row.lost),
            str(row.duplicates), row.after_rerun, row.outcome)


def print_table(rows: list[Row]) -> None:
    table = [HEADERS] + [cells(r) for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADERS))]
    for n, line in enumerate(table):
        print(" | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)))
        if n == 0:
            print("-+-".join("-" * w for w in widths))
    print()
    for r in rows:
        for note in r.extra:
            print(f"{r.scenario}: {note}")
    print(FIRST_PASS_DEFINITION)
    print(LOST_DEFINITION)
    print(DUPLICATE_DEFINITION)


def write_markdown(rows: list[Row], path: Path, command: str) -> None:
    """The table and its notes as a Markdown file, for the run's record."""
    def line(values: tuple[str, ...]) -> str:
        return "| " + " | ".join(v.replace("|", "\\|") for v in values) + " |"

    text = [
        "# newsum reliability bench", "",
        f"Run {time.strftime('%Y-%m-%d %H:%M %Z')} with `{command}`.", "",
        line(HEADERS), line(tuple("---" for _ in HEADERS)),
        *(line(cells(r)) for r in rows), "",
        *(f"- **{r.scenario}**: {note}" for r in rows for note in r.extra), "",
        f"- {FIRST_PASS_DEFINITION}", f"- {LOST_DEFINITION}", f"- {DUPLICATE_DEFINITION}", "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000, help="Articles of the load run.")
    parser.add_argument("--fault-articles", type=int, default=200,
                        help="Articles of each fault scenario.")
    parser.add_argument("--only", nargs="*", choices=list(SCENARIOS), help="Scenarios to run.")
    parser.add_argument("--out", type=Path, default=Path(".newsum/bench/reliability.md"),
                        help="Where the Markdown table is written.")
    parser.add_argument("--redis-appendfsync", default="everysec", choices=["everysec", "always"],
                        help="fsync policy of each private Redis (docker-compose.yml: everysec,"
                             " Redis's default with --appendonly yes).")
    args = parser.parse_args()
    from newsum.sandbox.corpus import generate_corpus
    from newsum.sandbox.tiny import build_tiny_model

    with tempfile.TemporaryDirectory(prefix="newsum-reliability-") as tmp:
        root = Path(tmp)
        print("building the tiny model ...", flush=True)
        lab = Lab(root, build_tiny_model(root / "tiny-model", seed=0), args.redis_appendfsync)
        corpus = [(item.title, item.body)
                  for item in generate_corpus(max(args.articles, args.fault_articles), seed=11)]
        rows: list[Row] = []
        for name in args.only or list(SCENARIOS):
            n = args.articles if name == "load" else args.fault_articles
            print(f"running {name} on {n} articles ...", flush=True)
            started = time.monotonic()
            try:
                result = SCENARIOS[name](lab, corpus[:n])
                produced = result if isinstance(result, list) else [result]
            except Exception as exc:  # one broken scenario must not hide the others
                produced = [Row(name, "", n, outcome=f"ERROR {type(exc).__name__}: {exc}"[:300])]
            produced[0].extra.append(f"took {time.monotonic() - started:.0f} s")
            rows.extend(produced)
            # Written after every scenario: a long run cut short keeps what it measured.
            write_markdown(rows, args.out, " ".join(["python -m bench.bench_reliability",
                                                    *sys.argv[1:]]))
        print_table(rows)
        print(f"table written to {args.out}")


if __name__ == "__main__":
    main()
