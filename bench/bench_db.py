"""Memory of streaming unsummarised ids vs loading them all, on 100k articles.

    python -m bench.bench_db [--articles 100000] [--database-url URL]

Prints, side by side in one run, the peak Python heap (tracemalloc) of
``stream_unsummarized_ids`` (keyset pages) and of one ``SELECT`` that loads every id, at
two archive sizes: a constant-memory stream has the same peak at both sizes.

By default each size gets a SQLite file in a temp dir. ``--database-url`` names a
PostgreSQL server instead (the URL of any database there, e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``): each size then gets a
throwaway database created on that server and dropped afterwards; the named database
itself is not written to. Only Python allocations are traced, not the driver's C buffers.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from harness.postgres import create_postgres_database, drop_postgres_database
from newsum.config import ArticleSource
from newsum.db.articles import create_articles_table
from newsum.db.engine import make_engine, transaction
from newsum.db.migrate import upgrade
from newsum.db.models import Summary
from newsum.db.queries import stream_unsummarized_ids
from newsum.db.registry import register_model_version


def fill(engine, count: int):  # type: ignore[no-untyped-def]
    table = create_articles_table(engine, ArticleSource())
    start = datetime(2020, 1, 1, tzinfo=UTC)
    with engine.begin() as connection:
        for first in range(1, count + 1, 10_000):
            connection.execute(
                table.insert(),
                [
                    {"id": i, "title": f"Story {i}", "body": "Body text. " * 20,
                     "section": "news", "published_at": start + timedelta(minutes=i),
                     "updated_at": start + timedelta(minutes=i)}
                    for i in range(first, min(first + 10_000, count + 1))
                ],
            )
    return table


def peak(fn) -> tuple[int, float, int]:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    began = time.perf_counter()
    seen = fn()
    elapsed = time.perf_counter() - began
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top, elapsed, seen


def measure(url: str, count: int) -> dict[str, tuple[int, float, int]]:
    engine = make_engine(url)
    upgrade(engine)
    table = fill(engine, count)
    with transaction(engine) as session:
        version = register_model_version(session, name="bench", adapter_path="-", base_model="-")
    # Touch Summary so both runs pay the same import/compile costs before measuring.
    select(Summary)

    def streamed() -> int:
        return sum(1 for _ in stream_unsummarized_ids(engine, table, version.id))

    def loaded() -> int:
        with engine.connect() as connection:
            ids = connection.execute(select(table.c.id)).scalars().all()
        return len(ids)

    results = {"stream": peak(streamed), "load all": peak(loaded)}
    engine.dispose()
    return results


@contextmanager
def throwaway_database(server: str | None, tmp: Path, count: int) -> Iterator[str]:
    """A fresh database for one size: on the PostgreSQL ``server``, else a SQLite file."""
    if server is None:
        yield f"sqlite:///{tmp / f'bench_{count}.db'}"
        return
    url = create_postgres_database(server)
    try:
        yield url
    finally:
        drop_postgres_database(url, server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000,
                        help="Larger archive size; the smaller one is a tenth of it.")
    parser.add_argument("--database-url",
                        help="A PostgreSQL server to run on (throwaway databases are created"
                             " there); default: SQLite files in a temp dir.")
    args = parser.parse_args()
    if args.database_url and make_url(args.database_url).get_backend_name() != "postgresql":
        parser.error("--database-url must name a PostgreSQL server (leave it out for SQLite)")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for count in (args.articles // 10, args.articles):
            with throwaway_database(args.database_url, Path(tmp), count) as url:
                for name, (top, elapsed, seen) in measure(url, count).items():
                    rows.append((count, name, seen, top / 1024 / 1024, elapsed))
    where = make_url(args.database_url).render_as_string() if args.database_url else "SQLite"
    print(f"database: throwaway databases on {where}")
    print(f"{'articles':>9} {'method':<9} {'ids':>8} {'peak MiB':>9} {'seconds':>8}")
    for count, name, seen, mib, elapsed in rows:
        print(f"{count:>9} {name:<9} {seen:>8} {mib:>9.2f} {elapsed:>8.2f}")
    small_stream, big_stream = rows[0][3], rows[2][3]
    print(f"stream peak at {args.articles} / at {args.articles // 10}: "
          f"{big_stream / small_stream:.2f} (1.0 = constant memory)")
    print(f"stream peak / load-all peak at {args.articles}: {rows[2][3] / rows[3][3]:.3f}")


if __name__ == "__main__":
    main()
