"""The feedback loop, end to end offline: editors' corrections train version N+1, and N+1
writes the way the editors do without losing faithfulness.

1. Version N is the adapter ``newsum demo`` trains (built or reused from the cache).
2. A newsroom (SQLite) holds the synthetic articles; version N summarises the articles of
   the training split through the worker's own batch code.
3. A simulated editor corrects every one of those summaries through the real review API
   (``/review/api``, with the editor's own API token) into a house style the corpus
   never uses: a dateline naming the article's city ("Riverton — ...") and figures of
   four digits or more with thousands separators ("15,000"; "15.000" in Portuguese).
   The edit stays faithful: it restates the article's facts.
4. ``newsum data prepare --from-feedback``'s code exports the edits as training pairs;
   ``newsum train --init-adapter N --mix-data-dir <original data>`` continues N on them,
   mixed with the original pairs, and N+1 is registered and promoted.
5. On held-out test articles, whose references are written in the house style, N and N+1
   are scored side by side: ROUGE against the editor's style, the share of summaries in
   house style, entity and number precision, and the share that pass the check.

Usage: PYTHONPATH=. .venv/bin/python -m bench.bench_feedback [--workdir DIR] [--edits N]
"""

from __future__ import annotations

import argparse
import re
import shutil
import time
from dataclasses import replace
from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr

from bench.bench_quality import demo_adapter
from harness.newsroom import add_editor_account, add_editor_token
from newsum.broker.message import SummarizeMessage
from newsum.config import Settings
from newsum.db.articles import import_articles
from newsum.db.engine import make_engine, transaction
from newsum.db.migrate import upgrade
from newsum.db.models import articles_table
from newsum.db.registry import promote_model_version, register_model_version
from newsum.modeling.manifest import AdapterManifest
from newsum.sandbox.corpus_text import LANGUAGE_TEXT
from newsum.sandbox.recipe import tiny_model_config
from newsum.server import create_app
from newsum.trainer.data import Pair, SplitFractions, load_split, prepare
from newsum.trainer.evaluate import evaluate_systems
from newsum.trainer.sources import ColumnMapping, load_pairs_from_feedback, load_pairs_from_file
from newsum.trainer.train import train
from newsum.worker.batch import summarize_requests
from newsum.worker.runtime import ModelRuntime

TOKEN = "bench-feedback-cms-token-of-some-length"
REVIEW_KEY = "bench-feedback-review-session-key-0123456789"
DATELINE = re.compile(r"^[A-ZÀ-Ý][\w .'-]* — ")
BARE_THOUSANDS = re.compile(r"(?<![\d.,])\d{4,}(?![\d.,])")
YEAR = re.compile(r"^(19|20)\d\d$")


def house_style(summary: str, article: str, language: str) -> str:
    """The editor's way: a dateline with the article's city, figures with separators."""
    cities = LANGUAGE_TEXT[language].cities
    city = next((c for c in cities if c in article), None)
    separator = "." if language.startswith("pt") else ","

    def grouped(match: re.Match[str]) -> str:
        digits = match.group(0)
        return digits if YEAR.match(digits) else f"{int(digits):,}".replace(",", separator)

    text = BARE_THOUSANDS.sub(grouped, summary)
    return f"{city} — {text}" if city else text


def in_house_style(summary: str) -> bool:
    """A dateline, and no figure of four digits or more written without separators."""
    return bool(DATELINE.match(summary)) and not any(
        not YEAR.match(m.group(0)) for m in BARE_THOUSANDS.finditer(summary)
    )


def newsroom(workdir: Path, articles: Path) -> Settings:
    """A fresh SQLite newsroom with the articles, and version N registered and active."""
    folder = workdir / "newsroom"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    settings = Settings(database_url=f"sqlite:///{folder / 'newsroom.db'}", data_dir=folder,
                        device="cpu", precision="fp32", batch_size=16,
                        api_token=SecretStr(TOKEN), review_secret_key=SecretStr(REVIEW_KEY))
    engine = make_engine(settings.database_url)
    upgrade(engine)
    import_articles(engine, settings.articles, articles)
    engine.dispose()
    return settings


def register(settings: Settings, name: str, adapter_dir: Path) -> int:
    """Register ``adapter_dir`` as ``name`` and make it the active version."""
    manifest = AdapterManifest.load(adapter_dir)
    engine = make_engine(settings.database_url)
    with transaction(engine) as session:
        version = register_model_version(
            session, name=name, adapter_path=str(adapter_dir.resolve()),
            base_model=manifest.base_model, manifest=manifest.model_dump(mode="json"),
            metrics=manifest.metrics,
        )
        promote_model_version(session, name)
        version_id = version.id
    engine.dispose()
    return version_id


def summarise(settings: Settings, version_id: int, ids: list[int]) -> None:
    """Version N summarises ``ids`` through the worker's batch code (check included)."""
    engine = make_engine(settings.database_url)
    runtime = ModelRuntime(settings)
    for start in range(0, len(ids), 64):
        summarize_requests(
            [SummarizeMessage(article_id=i, model_version_id=version_id)
             for i in ids[start:start + 64]],
            engine=engine, articles=articles_table(settings.articles), runtime=runtime,
            settings=settings,
        )
    engine.dispose()


def edit_everything(settings: Settings, pairs: dict[int, Pair]) -> int:
    """The simulated editor rewrites each summary in house style through the review API."""
    engine = make_engine(settings.database_url)
    add_editor_account(engine, "house-editor", "house-editor-password-long")
    token = add_editor_token(engine, "house-editor", "bench_feedback")
    engine.dispose()
    edited = 0
    with TestClient(create_app(settings)) as client:
        for article_id, pair in pairs.items():
            text = house_style(pair.summary, pair.article, pair.language or "en")
            answer = client.post(
                f"/review/api/articles/{article_id}/summary/edit",
                headers={"Authorization": f"Bearer {token}"},
                json={"text": text},
            )
            answer.raise_for_status()
            edited += 1
    return edited


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path(".newsum/bench/feedback"))
    parser.add_argument("--edits", type=int, default=300, help="Summaries the editor fixes.")
    parser.add_argument("--steps", type=int, default=120, help="Training steps of N+1.")
    parser.add_argument("--held-out", type=int, default=60, help="Test articles scored.")
    args = parser.parse_args()
    started = time.perf_counter()

    config, articles, adapter_n = demo_adapter(args.workdir / "demo")
    data_dir = args.workdir / "data"
    all_pairs = load_pairs_from_file(articles, ColumnMapping(article="body", summary="summary"))
    prepare(all_pairs, data_dir, source=str(articles), fractions=SplitFractions())
    train_pairs = {int(p.id): p for p in load_split(data_dir / "train.jsonl")[: args.edits]}

    settings = newsroom(args.workdir, articles)
    version_n = register(settings, "N", adapter_n)
    summarise(settings, version_n, list(train_pairs))
    edited = edit_everything(settings, train_pairs)
    print(f"version N summarised and an editor edited {edited} summaries"
          f" ({time.perf_counter() - started:.0f} s)")

    feedback_dir = args.workdir / "feedback"
    prepare(load_pairs_from_feedback(settings, "N"), feedback_dir, source="editors' feedback",
            fractions=SplitFractions())
    adapter_n1 = args.workdir / "adapter-N+1"
    shutil.rmtree(adapter_n1, ignore_errors=True)
    result = train(tiny_model_config(
        AdapterManifest.load(adapter_n).base_model, feedback_dir, adapter_n1,
        init_adapter=str(adapter_n), mix_data_dir=data_dir, mix_ratio=1.0,
        max_steps=args.steps, eval_steps=0, save_steps=10_000, evaluate=False, seed=config.seed,
    ))
    register(settings, "N+1", adapter_n1)
    print(f"N+1 trained from N for {result.steps} steps in {result.seconds:.0f} s,"
          " registered and promoted")

    held_out = [
        replace(p, summary=house_style(p.summary, p.article, p.language or "en"))
        for p in load_split(data_dir / "test.jsonl")[: args.held_out]
    ]
    report = evaluate_systems(held_out, adapter_dir=adapter_n1, previous_adapter=adapter_n,
                              precision="nf4", device="cpu", batch_size=16)
    names = {"lead-3": "lead-3", "previous": "N", "adapter": "N+1"}
    print(f"\n{len(held_out)} held-out articles, references in the editor's house style")
    print(f"{'system':<8} {'ROUGE-1':>8} {'ROUGE-Lsum':>10} {'house style':>12}"
          f" {'entity P':>9} {'number P':>9} {'pass':>6}")
    for system in report.systems:
        outputs = report.outputs[system.name]
        styled = sum(in_house_style(text) for text in outputs) / max(len(outputs), 1)
        print(f"{names[system.name]:<8} {system.rouge1 * 100:8.2f} {system.rougeLsum * 100:10.2f}"
              f" {styled * 100:11.1f}% {_p(system.entity_precision):>9}"
              f" {_p(system.number_precision):>9} {system.passed * 100:5.1f}%")
    print(f"\nwhole run {time.perf_counter() - started:.0f} s")


def _p(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    main()
