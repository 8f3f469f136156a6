"""``newsum demo``: the whole product, offline, on one machine, through production paths.

It reads top to bottom as the product's story: fill an embedded newsroom with articles,
build (or take) a foundation model, fine-tune a QLoRA adapter on the newsroom's
article/summary pairs, score it against the base model, promote it, then let a real
Celery worker summarise the newest articles and a small backfill, and show the results.
Artefacts are cached under ``--workdir``, so a second run skips what is already built.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import typer
from sqlalchemy import Engine, func, select
from tqdm import tqdm

from newsum.config import Settings
from newsum.db.articles import import_articles
from newsum.db.engine import check_connection, make_engine, session_factory, transaction
from newsum.db.migrate import upgrade
from newsum.db.models import FINAL_STATES, Summary, articles_table
from newsum.db.registry import promote_model_version, register_model_version
from newsum.errors import NewsumError
from newsum.modeling.manifest import AdapterManifest
from newsum.sandbox.recipe import RECIPE


@dataclass
class DemoConfig:
    """What the demo builds and where (every field has a default that runs offline)."""

    workdir: Path = field(default=Path(".newsum/demo"), metadata={"help": "Cache of artefacts."})
    base_model: str | None = field(
        default=None, metadata={"help": "Base model id or path; default: build the tiny one."}
    )
    data: Path | None = field(
        default=None,
        metadata={"help": "Articles JSONL with a summary field; default: synthetic corpus."},
    )
    database_url: str | None = field(
        default=None, metadata={"help": "Newsroom database; default: SQLite in the workdir."}
    )
    broker_url: str | None = field(
        default=None, metadata={"help": "Celery broker; default: SQLite in the workdir."}
    )
    articles: int = field(default=480, metadata={"help": "Synthetic articles to create."})
    fresh_articles: int = field(
        default=12, metadata={"help": "Newest articles (no summary yet) the worker summarises."}
    )
    backfill: int = field(
        default=12, metadata={"help": "Further recent articles a backfill queues."}
    )
    train_steps: int = field(
        default=RECIPE.fine_tune_steps, metadata={"help": "QLoRA optimizer steps."}
    )
    seed: int = field(
        default=RECIPE.seed, metadata={"help": "Seed of corpus, model and training."}
    )


def run_demo(config: DemoConfig) -> None:
    """Run every step of the demo and print what each produced."""
    started = time.perf_counter()
    config.workdir.mkdir(parents=True, exist_ok=True)
    settings = demo_settings(config)

    step("1/6 newsroom")
    engine = make_engine(settings.database_url)
    check_connection(engine)
    upgrade(engine)
    articles_file = newsroom_articles(config)
    report = import_articles(engine, settings.articles, articles_file)
    echo(f"{settings.database_url}: {report.inserted} articles added, {report.updated} updated")

    # The newest articles have no summary yet: the model never trains on them, and the
    # worker summarises them at the end (some through enqueue, the rest by a backfill).
    held_out = newest_articles(engine, settings, config.fresh_articles + config.backfill)

    step("2/6 foundation model")
    base_model = config.base_model or str(tiny_foundation_model(config))
    echo(f"base model: {base_model}")

    step("3/6 QLoRA fine-tuning and evaluation (lead-3 vs base vs adapter)")
    adapter_dir, table = fine_tuned_adapter(
        config, base_model, articles_file, exclude={article_id for article_id, _ in held_out}
    )
    echo(table)

    step("4/6 registry")
    with transaction(engine) as session:
        manifest = AdapterManifest.load(adapter_dir)
        version = register_model_version(
            session, name=f"demo-{adapter_dir.name}", adapter_path=str(adapter_dir.resolve()),
            base_model=base_model, manifest=manifest.model_dump(mode="json"),
            metrics=manifest.metrics,
        )
        promote_model_version(session, version.name)
        version_id, version_name = version.id, version.name
    echo(f"registered and promoted {version_name}")

    step("5/6 worker: newest articles through enqueue, the rest through a backfill")
    fresh = [article_id for article_id, _ in held_out[: config.fresh_articles]]
    since = held_out[-1][1] if held_out else None
    expected = [article_id for article_id, _ in held_out]
    serve(settings, fresh, since, expected, version_id, config.workdir)

    step("6/6 summaries")
    show_summaries(engine, settings, expected, version_id)
    echo(f"demo finished in {time.perf_counter() - started:.0f} s")


def demo_settings(config: DemoConfig) -> Settings:
    """Settings of the demo: embedded database and broker unless given, CPU, small batches."""
    workdir = config.workdir.resolve()
    return Settings(
        database_url=config.database_url or f"sqlite:///{workdir / 'newsroom.db'}",
        broker_url=config.broker_url or f"sqla+sqlite:///{workdir / 'broker.db'}",
        data_dir=workdir,
        # The tiny model runs on the CPU; a real one on the GPU when there is one.
        device="cpu" if config.base_model is None else "auto",
        precision="nf4",
        batch_size=8,
        batch_flush_interval_s=0.5,
    )


def newsroom_articles(config: DemoConfig) -> Path:
    """The articles file to import: ``--data`` or the synthetic corpus, in import format."""
    if config.data is not None:
        if not config.data.is_file():
            raise NewsumError(f"{config.data}: no such articles file")
        return config.data
    from newsum.sandbox.corpus import generate_corpus, write_articles_jsonl

    items = generate_corpus(config.articles, seed=config.seed)
    # Named after its content: a cache written by another version of the corpus is not
    # taken for this one.
    digest = hashlib.sha256(
        "".join(item.body + item.summary for item in items).encode()
    ).hexdigest()[:10]
    path = config.workdir / f"articles-{config.articles}-{config.seed}-{digest}.jsonl"
    if not path.is_file():
        write_articles_jsonl(items, path)
    return path


def tiny_foundation_model(config: DemoConfig) -> Path:
    """The tiny Llama the project builds, cached in the workdir."""
    from dataclasses import asdict

    from newsum.sandbox.tiny import TinyModelSpec, build_tiny_model

    # Named after what builds it (the recipe and this version's corpus), so that a cache
    # from another version of newsum is never reused.
    recipe = json.dumps([asdict(TinyModelSpec()), asdict(RECIPE)], sort_keys=True) + (
        newsroom_articles(config).name
    )
    key = hashlib.sha256(recipe.encode()).hexdigest()[:10]
    out = config.workdir / f"tiny-model-{config.seed}-{key}"
    if not (out / "config.json").is_file():
        build_tiny_model(out, seed=config.seed)
    return out


def fine_tuned_adapter(
    config: DemoConfig, base_model: str, articles: Path, *, exclude: set[int]
) -> tuple[Path, str]:
    """Train (or reuse) the adapter for these inputs; return it and its ROUGE table."""
    from newsum.sandbox.recipe import tiny_model_config
    from newsum.trainer.config import TrainConfig
    from newsum.trainer.data import SplitFractions, prepare
    from newsum.trainer.sources import ColumnMapping, load_pairs_from_file
    from newsum.trainer.train import train

    # Named after everything that shapes it, the recipe included: a cached adapter of an
    # older recipe is not taken for this one.
    recipe = tiny_model_config(base_model, Path("data"), Path("out"))
    key = hashlib.sha256(
        f"{base_model}|{articles.resolve()}|{articles.stat().st_size}|{config.train_steps}"
        f"|{config.seed}|{sorted(exclude)}|{sorted(vars(recipe).items())}".encode()
    ).hexdigest()[:10]
    adapter_dir = config.workdir / "adapters" / key
    table_file = adapter_dir / "eval" / "eval.txt"
    if (adapter_dir / "manifest.json").is_file() and table_file.is_file():
        echo(f"reusing {adapter_dir}")
        return adapter_dir, table_file.read_text()
    data_dir = config.workdir / "data" / key
    pairs = load_pairs_from_file(articles, ColumnMapping(article="body", summary="summary"))
    prepare(
        [pair for pair in pairs if int(pair.id) not in exclude],
        data_dir, source=str(articles), fractions=SplitFractions(),
    )
    brief = {"max_steps": config.train_steps, "eval_steps": 0, "save_steps": 10_000,
             "eval_max_articles": 24, "seed": config.seed}
    if config.base_model is None:  # the tiny model, on the CPU
        run = tiny_model_config(base_model, data_dir, adapter_dir, generation_batch_size=12,
                                **brief)
    else:  # a real model: the trainer's own defaults (GPU when there is one)
        run = TrainConfig(base_model=base_model, data_dir=data_dir, output_dir=adapter_dir,
                          **brief)
    result = train(run)
    echo(f"trained {result.steps} steps in {result.seconds:.0f} s, loss {result.train_loss:.3f}")
    return adapter_dir, result.report.table() if result.report else "(evaluation skipped)"


def newest_articles(
    engine: Engine, settings: Settings, count: int
) -> list[tuple[int, datetime | None]]:
    """Ids and publication times of the ``count`` newest articles, newest first."""
    table = articles_table(settings.articles)
    with engine.connect() as connection:
        rows = connection.execute(
            select(table.c.id, table.c.published_at)
            .order_by(table.c.published_at.desc(), table.c.id.desc())
            .limit(count)
        ).all()
    return [(row.id, row.published_at) for row in rows]


def serve(
    settings: Settings,
    fresh: list[int],
    since: datetime | None,
    expected: list[int],
    version_id: int,
    workdir: Path,
) -> None:
    """Start a real worker, enqueue ``fresh``, backfill from ``since``, wait for ``expected``."""
    from newsum.broker.enqueue import enqueue
    from newsum.queue.backfill import BackfillOptions, run_backfill

    log_path = workdir / "worker.log"
    worker = start_worker(settings, log_path)
    try:
        queued = enqueue(fresh, settings=settings)
        echo(f"enqueue: {len(queued.queued)} queued, {len(queued.already_queued)} already queued")
        report = run_backfill(settings, BackfillOptions(since=since))
        echo(f"backfill: {report.summary_line()}")
        wait_for(settings, worker, set(expected), version_id, log_path)
    finally:
        stop_worker(worker)


def start_worker(settings: Settings, log_path: Path) -> subprocess.Popen[bytes]:
    """``newsum worker`` as a real process with the demo's settings."""
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "newsum", "worker", "--pool", "solo"],
            env=settings.as_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    """Warm shutdown: the worker finishes its batch, then exits."""
    worker.terminate()
    try:
        worker.wait(timeout=60)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def wait_for(
    settings: Settings,
    worker: subprocess.Popen[bytes],
    wanted: set[int],
    version_id: int,
    log_path: Path,
    timeout_s: float = 600,
) -> None:
    """Show progress until every wanted id is in a final state; raise if the worker dies."""
    engine = make_engine(settings.database_url)
    deadline = time.monotonic() + timeout_s
    with tqdm(total=len(wanted), unit="article", desc="summarising") as bar:
        while True:
            with session_factory(engine)() as session:
                finished = session.scalar(
                    select(func.count())
                    .select_from(Summary)
                    .where(
                        Summary.model_version_id == version_id,
                        Summary.article_id.in_(wanted),
                        Summary.queued_at.is_(None),
                        Summary.status.in_(FINAL_STATES),
                    )
                ) or 0
            bar.update(finished - bar.n)
            if finished >= len(wanted):
                return
            if worker.poll() is not None:
                raise NewsumError(f"the worker stopped (exit {worker.returncode}); see {log_path}")
            if time.monotonic() > deadline:
                raise NewsumError(f"summaries missing after {timeout_s:.0f} s; see {log_path}")
            time.sleep(0.5)


def show_summaries(engine: Engine, settings: Settings, ids: list[int], version_id: int) -> None:
    """Print a few titles with their new summaries, and the counts by state."""
    table = articles_table(settings.articles)
    with session_factory(engine)() as session:
        rows = session.execute(
            select(table.c.title, Summary.status, Summary.text, Summary.reason, Summary.findings)
            .join(Summary, Summary.article_id == table.c.id)
            .where(Summary.model_version_id == version_id, table.c.id.in_(ids))
            .order_by(table.c.published_at.desc())
        ).all()
    states = Counter(str(row.status) for row in rows)
    for title, status, text, reason, findings in rows[:6]:
        echo(f"\n# {title}\n  [{status}] {text or reason}")
        if findings:
            echo("  findings: " + "; ".join(f"{f['kind']} {f['value']!r}" for f in findings))
    echo("\n" + ", ".join(f"{state}: {count}" for state, count in sorted(states.items())))


def step(title: str) -> None:
    typer.secho(f"\n== {title}", bold=True)


def echo(text: str) -> None:
    typer.echo(text)
