"""Worker benchmark: one command, three comparisons printed side by side.

    PYTHONPATH=. .venv/bin/python bench/bench_worker.py --base-model DIR [--adapter DIR]
    PYTHONPATH=. .venv/bin/python bench/bench_worker.py --backfill-only

1. Generation throughput at batch size 1 vs the default batch size (same model, same
   articles, direct ``summarize_batch``), after one untimed warm-up generation; the two
   sizes are timed in turn ``--repeats`` times (the order flips every round) and the
   median of each is reported.
2. End to end (enqueue -> Redis -> a real ``newsum worker`` -> database) vs direct
   in-process generation of the same articles; target ratio >= 0.9.
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
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from newsum.config import Settings  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-model", type=Path, help="Model dir (default: build the tiny one).")
    parser.add_argument("--adapter", type=Path, help="Adapter dir to serve on the base model.")
    parser.add_argument("--articles", type=int, default=64, help="Articles to generate for.")
    parser.add_argument("--batch-size", type=int, default=Settings().batch_size)
    parser.add_argument("--repeats", type=int, default=3,
                        help="Timed runs of each batch size (the median is reported).")
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


def corpus(n: int) -> list[tuple[str, str]]:
    from newsum.sandbox.corpus import generate_corpus

    return [(item.title, item.body) for item in generate_corpus(n, seed=7)]


def bench_generation(args: argparse.Namespace, loaded, pairs) -> dict[int, float]:  # type: ignore[no-untyped-def]  # noqa: E501
    """Median articles/s per batch size, each size timed ``args.repeats`` times in turn."""
    from newsum.modeling.generation import summarize_batch

    # Untimed warm-up: the first generation pays one-off costs (allocator growth, kernel
    # selection, lazy imports) that would otherwise count against whichever size ran first.
    summarize_batch(loaded, pairs[: args.batch_size], batch_size=args.batch_size)
    sizes = [1, args.batch_size]
    timings: dict[int, list[float]] = {size: [] for size in sizes}
    for round_ in range(args.repeats):
        for size in sizes if round_ % 2 == 0 else reversed(sizes):
            started = time.perf_counter()
            results = summarize_batch(loaded, pairs, batch_size=size)
            timings[size].append(len(pairs) / (time.perf_counter() - started))
            assert not any(isinstance(r, Exception) for r in results)
    return {size: statistics.median(rates) for size, rates in timings.items()}


def setup_database(  # type: ignore[no-untyped-def]
    settings: Settings, base_model: Path, adapter: Path | None, pairs
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
            {"id": i, "title": title, "body": body} for i, (title, body) in enumerate(pairs, 1)
        ])
    engine.dispose()
    return version_id


def bench_end_to_end(settings: Settings, pairs, workdir: Path, threads: int) -> float:  # type: ignore[no-untyped-def]  # noqa: E501
    """Articles/s from the first enqueue to the last summary written, via a real worker."""
    from sqlalchemy import func, select

    from harness.processes import WorkerProcess
    from newsum.db.engine import make_engine
    from newsum.db.models import GENERATED_STATES, Summary

    env = {"OMP_NUM_THREADS": str(threads)}
    worker = WorkerProcess(settings, workdir / "worker.log", env=env).start()
    try:
        worker.wait_ready(timeout=300)
        worker.wait_for_log(r"model warmed up pid=", timeout=300)
        from newsum.broker.enqueue import enqueue

        engine = make_engine(settings.database_url)
        started = time.perf_counter()
        enqueue(range(1, len(pairs) + 1), settings=settings)
        done = 0
        while done < len(pairs):
            time.sleep(0.05)
            with engine.connect() as connection:
                done = connection.execute(
                    select(func.count()).select_from(Summary)
                    .where(Summary.status.in_(GENERATED_STATES))
                ).scalar_one()
        elapsed = time.perf_counter() - started
        engine.dispose()
    finally:
        worker.stop()
    return len(pairs) / elapsed


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
    pairs = corpus(args.articles)
    loaded = load_for_inference(
        args.adapter, base_model=None if args.adapter else str(base_model),
        precision=args.precision, device=args.device,
    )
    rates = bench_generation(args, loaded, pairs)
    direct = rates[args.batch_size]

    prefix = f"newsum-bench-{uuid.uuid4().hex[:8]}:"
    settings = Settings(
        database_url=f"sqlite:///{workdir / 'e2e.db'}", broker_url=args.broker_url,
        broker_key_prefix=prefix, precision=args.precision, device=args.device,
        batch_size=args.batch_size, batch_flush_interval_s=0.2, data_dir=workdir / "data",
    )
    setup_database(settings, Path(base_model), args.adapter, pairs)
    try:
        end_to_end = bench_end_to_end(settings, pairs, workdir, args.threads)
    finally:
        _delete_keys(args.broker_url, prefix)

    backfill = bench_backfill(args, workdir)

    device = f"{args.device} ({torch.get_num_threads()} threads)" if args.device == "cpu" else (
        args.device)
    print(f"model: {base_model}{' + ' + str(args.adapter) if args.adapter else ''},"
          f" {args.precision} on {device}, {len(pairs)} articles")
    print(f"generation: after one untimed warm-up, median of {args.repeats} alternating runs")
    print(f"{'generation, batch size 1':<44}{rates[1]:>10.2f} articles/s")
    print(f"{f'generation, batch size {args.batch_size}':<44}{direct:>10.2f} articles/s"
          f"   ({direct / rates[1]:.2f}x)")
    print(f"{'direct in-process generation':<44}{direct:>10.2f} articles/s")
    print(f"{'end to end (Redis + worker + database)':<44}{end_to_end:>10.2f} articles/s"
          f"   (ratio {end_to_end / direct:.2f}, target >= 0.9)")
    print("\n".join(backfill))


if __name__ == "__main__":
    main()
