"""Worker benchmark: one command, three comparisons printed side by side.

    PYTHONPATH=. .venv/bin/python bench/bench_worker.py --base-model DIR [--adapter DIR]
    PYTHONPATH=. .venv/bin/python bench/bench_worker.py --backfill-only

1. Generation throughput at batch size 1 vs the default batch size (same model, same
   articles, direct ``summarize_batch`` with the check a worker applies), after one
   untimed warm-up generation; the two sizes are timed in turn ``--repeats`` times (the
   order flips every round) and the median of each is reported.
2. End to end (enqueue -> Redis -> a real ``newsum worker`` -> database) vs direct
   in-process generation of the same articles doing the worker's generation work: the
   same ``summarize_batch`` calls (one per batch of ``--batch-size`` articles, as the
   worker's batches arrive), with the same checker, so the same checks and retries.
   The two are timed in turn ``--rounds`` times (a forced re-enqueue regenerates
   everything) and the medians compared; target ratio >= 0.9. Then where the time of a
   round goes: the phases each side's batches log, and what the broker adds around them.
3. Backfill enqueue rate and peak memory at 10k and 100k ids, on PostgreSQL + Redis (a
   throwaway database on ``--postgres-url``, dropped afterwards) and on SQLite + Redis.
   The articles are inserted first; a fresh child process then runs only the backfill,
   so its time and peak RSS are the backfill's. ``--backfill-only`` runs just this part.

Without ``--base-model`` the tiny model is built first (minutes on a small CPU).
Needs the local Redis (``--broker-url``); every key it writes is deleted afterwards.
The backfill part needs the local PostgreSQL server too (``--postgres-url``).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from newsum.config import Settings  # noqa: E402
from newsum.modeling.timings import PhaseTimes  # noqa: E402

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from newsum.modeling.faithfulness import FaithfulnessChecker
    from newsum.modeling.generation import GeneratedSummary
    from newsum.modeling.loading import LoadedModel
    from newsum.sandbox.corpus import NewsItem


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-model", type=Path, help="Model dir (default: build the tiny one).")
    parser.add_argument("--adapter", type=Path, help="Adapter dir to serve on the base model.")
    parser.add_argument("--articles", type=int, default=64, help="Articles to generate for.")
    parser.add_argument("--batch-size", type=int, default=Settings().batch_size)
    parser.add_argument("--repeats", type=int, default=3,
                        help="Timed runs of each batch size (the median is reported).")
    parser.add_argument("--rounds", type=int, default=3,
                        help="Timed end-to-end and direct runs, in turn (medians compared).")
    parser.add_argument("--backfill-ids", type=int, default=100_000,
                        help="Ids of the large backfill (the small one has a tenth).")
    parser.add_argument("--backfill-only", action="store_true",
                        help="Run only the backfill part (no model, no generation).")
    parser.add_argument("--postgres-url",
                        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                        help="PostgreSQL server for the backfill (a throwaway database).")
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--precision", default="fp32", choices=["nf4", "bf16", "fp32"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (CPU).")
    parser.add_argument("--backfill-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def corpus(n: int) -> list[NewsItem]:
    from newsum.sandbox.corpus import generate_corpus

    return generate_corpus(n, seed=7)


def worker_checker(loaded: LoadedModel, settings: Settings) -> FaithfulnessChecker:
    """The check a worker with ``settings`` gives its batches, built the way it builds it."""
    from newsum.db.engine import make_engine
    from newsum.worker.checking import batch_checker
    from newsum.worker.runtime import ModelRuntime

    engine = make_engine(settings.database_url)
    try:
        return batch_checker(loaded, ModelRuntime(settings), engine, settings)
    finally:
        engine.dispose()


def generate_directly(
    loaded: LoadedModel, items: list[NewsItem], checker: FaithfulnessChecker,
    batch_size: int, per_call: int, timings: PhaseTimes | None = None,
) -> list[GeneratedSummary | Exception]:
    """``summarize_batch`` over ``items``, ``per_call`` articles a call, as a worker calls it."""
    from newsum.modeling.generation import summarize_batch

    results: list[GeneratedSummary | Exception] = []
    for start in range(0, len(items), per_call):
        chunk = items[start : start + per_call]
        results += summarize_batch(
            loaded, [(item.title, item.body) for item in chunk], batch_size=batch_size,
            checker=checker, languages=[item.language for item in chunk], timings=timings,
        )
    assert not any(isinstance(r, Exception) for r in results), results
    return results


def bench_generation(
    args: argparse.Namespace, loaded: LoadedModel, items: list[NewsItem],
    checker: FaithfulnessChecker,
) -> dict[int, float]:
    """Median articles/s per batch size, each size timed ``args.repeats`` times in turn."""
    # Untimed warm-up: the first generation pays one-off costs (allocator growth, kernel
    # selection, lazy imports) that would otherwise count against whichever size ran first.
    generate_directly(loaded, items[: args.batch_size], checker, args.batch_size, len(items))
    sizes = [1, args.batch_size]
    timings: dict[int, list[float]] = {size: [] for size in sizes}
    for round_ in range(args.repeats):
        for size in sizes if round_ % 2 == 0 else reversed(sizes):
            started = time.perf_counter()
            generate_directly(loaded, items, checker, size, len(items))
            timings[size].append(len(items) / (time.perf_counter() - started))
    return {size: statistics.median(rates) for size, rates in timings.items()}


def setup_database(
    settings: Settings, base_model: Path, adapter: Path | None, items: list[NewsItem]
) -> int:
    from newsum.db.articles import create_articles_table
    from newsum.db.engine import make_engine, transaction
    from newsum.db.migrate import upgrade
    from newsum.db.registry import promote_model_version, register_model_version

    engine = make_engine(settings.database_url)
    upgrade(engine)
    with transaction(engine) as session:
        version = register_model_version(
            session, name="bench", adapter_path=str(adapter or ""), base_model=str(base_model)
        )
        promote_model_version(session, "bench")
        version_id = version.id
    table = create_articles_table(engine, settings.articles)
    with engine.begin() as connection:
        connection.execute(table.insert(), [
            {"id": i, "title": item.title, "body": item.body, "language": item.language}
            for i, item in enumerate(items, 1)
        ])
    engine.dispose()
    return version_id


@dataclass
class Comparison:
    """Seconds per round of the same articles, end to end and direct, and their phases."""

    end_to_end: list[float] = field(default_factory=list)
    direct: list[float] = field(default_factory=list)
    worker_cpu: list[float] = field(default_factory=list)  # consumer + pool child
    direct_cpu: list[float] = field(default_factory=list)
    direct_phases: PhaseTimes = field(default_factory=PhaseTimes)
    worker_phases: PhaseTimes = field(default_factory=PhaseTimes)
    worker_batches: float = 0.0  # the seconds the worker's batches logged, all rounds
    batches: int = 0


BATCH_LINE = re.compile(r"batch messages=\d+ .* seconds=(?P<seconds>[\d.]+) (?P<phases>.*)$")


def bench_end_to_end(
    args: argparse.Namespace, settings: Settings, loaded: LoadedModel,
    checker: FaithfulnessChecker, items: list[NewsItem], workdir: Path,
) -> Comparison:
    """End to end through a real worker and direct generation of the same articles, in
    turn (the order flips every round), and the phases of both."""
    from harness.processes import WorkerProcess
    from newsum.db.engine import make_engine

    found = Comparison()
    env = {"OMP_NUM_THREADS": str(args.threads)}
    worker = WorkerProcess(settings, workdir / "worker.log", env=env).start()

    def direct(_round: int) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        generate_directly(loaded, items, checker, settings.batch_size, settings.batch_size,
                          found.direct_phases)
        found.direct.append(time.perf_counter() - wall)
        found.direct_cpu.append(time.process_time() - cpu)

    def end_to_end(round_: int) -> None:
        cpu = _cpu_seconds(worker.pid)
        found.end_to_end.append(_end_to_end_round(settings, engine, len(items), round_))
        found.worker_cpu.append(_cpu_seconds(worker.pid) - cpu)

    try:
        worker.wait_ready(timeout=300)
        worker.wait_for_log(r"model warmed up pid=", timeout=300)
        engine = make_engine(settings.database_url)
        for round_ in range(1, args.rounds + 1):
            for step in (direct, end_to_end) if round_ % 2 else (end_to_end, direct):
                step(round_)
        engine.dispose()
    finally:
        worker.stop()
    for match in filter(None, map(BATCH_LINE.search, worker.log().splitlines())):
        found.batches += 1
        found.worker_batches += float(match["seconds"])
        phases = (pair.split("=") for pair in match["phases"].split())
        found.worker_phases.add(PhaseTimes({name: float(value) for name, value in phases}))
    return found


def _end_to_end_round(settings: Settings, engine: Engine, articles: int, round_: int) -> float:
    """Seconds from the first enqueue to the last summary written; after the first round
    the articles are forced again (every row written once more: ``attempts`` counts it)."""
    from sqlalchemy import func, select

    from newsum.broker.enqueue import enqueue
    from newsum.db.models import FINAL_STATES, Summary

    started = time.perf_counter()
    enqueue(range(1, articles + 1), settings=settings, force=round_ > 1)
    done = 0
    while done < articles:
        time.sleep(0.05)
        with engine.connect() as connection:
            done = connection.execute(
                select(func.count()).select_from(Summary).where(
                    Summary.status.in_(FINAL_STATES), Summary.queued_at.is_(None),
                    Summary.attempts >= round_,
                )
            ).scalar_one()
    return time.perf_counter() - started


def _cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of a process and its children so far."""
    import psutil

    process = psutil.Process(pid)
    total = 0.0
    for each in [process, *process.children(recursive=True)]:
        times = each.cpu_times()
        total += times.user + times.system
    return total


def backfill_child(n: int, database_url: str, workdir: Path, broker_url: str) -> None:
    """In a fresh process: time a full backfill of a prepared database; print JSON."""
    from newsum.queue.backfill import BackfillOptions, run_backfill

    prefix = f"newsum-bench-{uuid.uuid4().hex[:8]}:"
    settings = Settings(
        database_url=database_url, broker_url=broker_url, broker_key_prefix=prefix,
        queue_high_water=n * 2, data_dir=workdir,
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        started = time.perf_counter()
        report = run_backfill(settings, BackfillOptions())
        elapsed = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        on_queue = _queue_length(broker_url, prefix + settings.queue_name)
    finally:
        _delete_keys(broker_url, prefix)
    print(json.dumps({"ids": n, "queued": report.queued, "on_queue": on_queue,
                      "seconds": elapsed, "rss_before_mib": before / 1024,
                      "rss_peak_mib": peak / 1024}))


def prepare_backfill_database(database_url: str, n: int) -> None:
    """A migrated newsroom with an active version and ``n`` articles (ids 1..n)."""
    from sqlalchemy import insert

    from newsum.db.articles import create_articles_table
    from newsum.db.engine import make_engine, transaction
    from newsum.db.migrate import upgrade
    from newsum.db.registry import promote_model_version, register_model_version

    engine = make_engine(database_url)
    upgrade(engine)
    with transaction(engine) as session:
        register_model_version(session, name="bench", adapter_path="", base_model="none")
        promote_model_version(session, "bench")
    table = create_articles_table(engine, Settings().articles)
    with engine.begin() as connection:
        for start in range(1, n + 1, 10_000):
            connection.execute(insert(table), [
                {"id": i, "title": f"Article {i}", "body": "Short body."}
                for i in range(start, min(start + 10_000, n + 1))
            ])
    if engine.dialect.name == "postgresql":
        # What autovacuum does to a loaded table before anyone backfills it.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")
    engine.dispose()


def _queue_length(broker_url: str, key: str) -> int:
    import redis

    client = redis.Redis.from_url(broker_url)
    try:
        return int(client.llen(key))
    finally:
        client.close()


def _delete_keys(broker_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(broker_url)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])
    client.close()


def run_backfill_child(n: int, database: str, workdir: Path, args: argparse.Namespace
                       ) -> dict[str, float]:
    """Prepare ``n`` articles on ``database`` (postgresql or sqlite), time the backfill in
    a fresh process, drop the database; return what the child measured."""
    from harness.postgres import create_postgres_database, drop_postgres_database

    if database == "postgresql":
        database_url = create_postgres_database(args.postgres_url)
    else:
        database_url = f"sqlite:///{workdir / f'backfill-{n}-{uuid.uuid4().hex[:8]}.db'}"
    try:
        prepare_backfill_database(database_url, n)
        out = subprocess.run(
            [sys.executable, __file__, "--backfill-child", str(n), "--database-url",
             database_url, "--workdir", str(workdir), "--broker-url", args.broker_url],
            capture_output=True, text=True, cwd=REPO,
        )
        if out.returncode != 0:
            raise SystemExit(f"backfill of {n} ids on {database} failed:\n{out.stderr}")
    finally:
        if database == "postgresql":
            drop_postgres_database(database_url, args.postgres_url)
    row = json.loads(out.stdout.strip().splitlines()[-1])
    if row["queued"] != n or row["on_queue"] != n:
        raise SystemExit(f"backfill of {n} ids on {database} queued {row['queued']},"
                         f" {row['on_queue']} on the queue")
    return row


def bench_backfill(args: argparse.Namespace, workdir: Path) -> list[str]:
    """Backfill rate and peak RSS per database, small and large side by side: the lines."""
    sizes = [args.backfill_ids // 10, args.backfill_ids]
    lines = [f"{'backfill enqueue (ids/s, peak RSS)':<30}"
             + "".join(f"{f'{n:,} ids':>26}" for n in sizes)]
    for database, label in (("postgresql", "PostgreSQL + Redis"), ("sqlite", "SQLite + Redis")):
        cells = []
        for n in sizes:
            row = run_backfill_child(n, database, workdir, args)
            cells.append(f"{n / row['seconds']:>9,.0f} ids/s {row['rss_peak_mib']:>6.0f} MiB")
        lines.append(f"{label:<30}" + "".join(f"{cell:>26}" for cell in cells))
    lines.append("(peak RSS of the process running the backfill, imports included)")
    return lines


def checker_name(checker: FaithfulnessChecker) -> str:
    inner = getattr(checker, "checkers", (checker,))
    return " + ".join(type(c).__name__ for c in inner)


def print_comparison(
    args: argparse.Namespace, rates: dict[int, float], compared: Comparison, articles: int
) -> None:
    """The generation rates, the end-to-end ratio and where a round's seconds go."""
    whole = rates[args.batch_size]
    direct = articles / statistics.median(compared.direct)
    end_to_end = articles / statistics.median(compared.end_to_end)
    print(f"generation: checked and retried as a worker does; after one untimed warm-up,"
          f" median of {args.repeats} alternating runs, all articles in one call")
    print(f"{'generation, batch size 1':<44}{rates[1]:>10.2f} articles/s")
    print(f"{f'generation, batch size {args.batch_size}':<44}{whole:>10.2f} articles/s"
          f"   ({whole / rates[1]:.2f}x)")
    print(f"end to end vs direct: median of {args.rounds} alternating rounds; direct makes the"
          f" worker's calls ({args.batch_size} articles each, in arrival order)")
    print(f"{'direct in-process generation':<44}{direct:>10.2f} articles/s"
          f"   ({direct / whole:.2f} of one call for all)")
    print(f"{'end to end (Redis + worker + database)':<44}{end_to_end:>10.2f} articles/s"
          f"   (ratio {end_to_end / direct:.2f}, target >= 0.9)")
    # CPU seconds are what load from other processes disturbs least.
    direct_cpu = statistics.median(compared.direct_cpu)
    worker_cpu = statistics.median(compared.worker_cpu)
    print(f"{'CPU seconds a round: direct, worker':<44}{direct_cpu:>10.2f} {worker_cpu:>8.2f}"
          f"   (ratio {direct_cpu / worker_cpu:.2f}; worker: consumer + pool child)")
    print_phases(compared)


PHASES = {
    "read": "read: version, articles, their summaries",
    "load": "load: model and checker (threshold read)",
    "prompts": "prompts (tokenised)",
    "generate": "generate (constrained decoding)",
    "check": "check (model's doubt, faithfulness)",
    "retry": "retry (beam candidates, their check)",
    "write": "write: upserts, claims",
    "parse": "task: parse messages",
}


# What summarize_batch itself spends: the generation work both sides do.
GENERATION_PHASES = ("prompts", "generate", "check", "retry")


def print_phases(compared: Comparison) -> None:
    """Seconds per round in each phase, direct next to the worker's batches; the worker's
    task and broker lines are what its batches spend outside the phases and what passes
    outside its batches (enqueue, Redis, flush, ack, waiting for messages)."""
    rounds = len(compared.end_to_end)
    direct, worker = compared.direct_phases.seconds, compared.worker_phases.seconds
    task = compared.worker_batches - sum(worker.values())
    broker = sum(compared.end_to_end) - compared.worker_batches
    title = (f"where a round's seconds go (mean of {rounds}; the worker's"
             f" {compared.batches // rounds} batches a round, from its log)")
    print(f"{title:<68}{'direct':>11}{'worker':>11}")
    rows = [(label, direct.get(name), worker.get(name)) for name, label in PHASES.items()]
    rows += [("task: the rest (events, log, result)", None, task),
             ("broker: outside the worker's batches", None, broker),
             ("total", sum(compared.direct), sum(compared.end_to_end))]
    for label, mine, theirs in rows:
        cells = "".join(f"{'-' if v is None else f'{v / rounds:.3f}':>11}" for v in (mine, theirs))
        print(f"  {label:<66}{cells}")
    generating = sum(worker.get(name, 0.0) for name in GENERATION_PHASES)
    own = 1 - generating / sum(compared.end_to_end)
    print(f"the worker's own share of end to end (all but {', '.join(GENERATION_PHASES)}):"
          f" {own:.1%}; the ratio at equal generation speed: {1 - own:.2f}")


def main() -> None:
    args = parse_args()
    if args.backfill_child:
        backfill_child(args.backfill_child, args.database_url, args.workdir, args.broker_url)
        return
    if args.backfill_only:
        workdir = Path(tempfile.mkdtemp(prefix="newsum-bench-"))
        print("\n".join(bench_backfill(args, workdir)))
        return
    import torch

    from newsum.modeling.loading import load_for_inference

    torch.set_num_threads(args.threads)
    workdir = Path(tempfile.mkdtemp(prefix="newsum-bench-"))
    base_model = args.base_model
    if base_model is None:
        from newsum.sandbox.tiny import build_tiny_model

        print("building the tiny model ...", file=sys.stderr)
        base_model = build_tiny_model(workdir / "tiny")
    items = corpus(args.articles)
    loaded = load_for_inference(
        args.adapter, base_model=None if args.adapter else str(base_model),
        precision=args.precision, device=args.device,
    )
    prefix = f"newsum-bench-{uuid.uuid4().hex[:8]}:"
    settings = Settings(
        database_url=f"sqlite:///{workdir / 'e2e.db'}", broker_url=args.broker_url,
        broker_key_prefix=prefix, precision=args.precision, device=args.device,
        batch_size=args.batch_size, batch_flush_interval_s=0.2, data_dir=workdir / "data",
    )
    setup_database(settings, Path(base_model), args.adapter, items)
    checker = worker_checker(loaded, settings)
    rates = bench_generation(args, loaded, items, checker)
    try:
        compared = bench_end_to_end(args, settings, loaded, checker, items, workdir)
    finally:
        _delete_keys(args.broker_url, prefix)

    backfill = bench_backfill(args, workdir)

    device = f"{args.device} ({torch.get_num_threads()} threads)" if args.device == "cpu" else (
        args.device)
    print(f"model: {base_model}{' + ' + str(args.adapter) if args.adapter else ''},"
          f" {args.precision} on {device}, {len(items)} articles, checker {checker_name(checker)}")
    print_comparison(args, rates, compared, len(items))
    print("\n".join(backfill))


if __name__ == "__main__":
    main()
