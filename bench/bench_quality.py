"""Quality benchmark: lead-3, the base model and the adapter, with and without each lever.

Usage: PYTHONPATH=. .venv/bin/python -m bench.bench_quality [--workdir DIR] [--fresh N]

It builds (or reuses, from the cache folder) what ``newsum demo`` builds: the synthetic
corpus, the project's tiny foundation model and the demo's QLoRA adapter; and, to measure
the training levers, two more adapters that lack one each: one trained on the whole
article (a 320-token prompt instead of the recipe's 140), one trained on references in
the role-first style ("the mayor Anna Walker ...") instead of the house style that names
the person first. Every system then summarises fresh synthetic articles from a seed no
model saw, through the workers' own generation, check and retry, and is scored per
language by ``newsum eval``'s own code: ROUGE-1/2/Lsum against the references, fact
accuracy and the share of invented words by the articles' fact records, the check's pass
share, the share of passed summaries that are true and the share of false ones it holds.

Decoding levers are switched on one after the other on the demo's adapter: none, the
source words (names, figures and dates copied), the copy vocabulary (every word the
article's), the relations (role, deed, day and figure beside the name the article joins
them to), the retry (beam candidates for a summary the check holds), the model's doubt
(a summary its own model finds unlikely is held) and the stop when the constraint
refuses the model's next word by a wide margin.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from newsum.modeling.loading import LoadedModel, load_for_inference, release_memory
from newsum.modeling.manifest import AdapterManifest, GenerationParams
from newsum.sandbox.corpus import NewsItem, fact_record, generate_corpus
from newsum.sandbox.demo import DemoConfig, newsroom_articles, tiny_foundation_model
from newsum.sandbox.recipe import STOP_WHEN_REFUSED, tiny_model_config
from newsum.trainer.data import Pair, SplitFractions, prepare
from newsum.trainer.evaluate import Generated, generate, lead3, score_system
from newsum.trainer.report import format_table
from newsum.trainer.scoring import lexicon_of
from newsum.trainer.sources import ColumnMapping, load_pairs_from_file
from newsum.trainer.train import train

_OFF = {"source_words": False, "article_words": False, "relations": False, "candidates": 1,
        "min_mean_logprob": None, "stop_when_refused": None}
DECODING: list[tuple[str, dict[str, Any]]] = [
    ("no constraint", _OFF),
    ("+source words", _OFF | {"source_words": True}),
    ("+copy vocab", _OFF | {"source_words": True, "article_words": True}),
    ("+relations", _OFF | {"source_words": True, "article_words": True, "relations": True}),
    ("+retry", _OFF | {"source_words": True, "article_words": True, "relations": True,
                       "candidates": 4}),
    ("+model doubt", _OFF | {"source_words": True, "article_words": True, "relations": True,
                             "candidates": 4, "min_mean_logprob": -1.5}),
    ("+stop when refused", {"source_words": True, "article_words": True, "relations": True,
                            "candidates": 4, "min_mean_logprob": -1.5,
                            "stop_when_refused": STOP_WHEN_REFUSED}),
]


def role_first(pair: Pair, item: NewsItem) -> Pair:
    """``pair`` with its reference in the role-first style the house style replaced."""
    facts = item.facts
    detail = facts.event.detail_sentence.format(figure=facts.figure)
    if pair.language == "en":
        lead = f"In {facts.city}, the {facts.role} {facts.name} {facts.event.what} {facts.weekday}."
    else:
        lead = f"Em {facts.city}, {facts.name}, {facts.role}, {facts.event.what} {facts.weekday}."
    return dataclasses.replace(pair, summary=f"{lead} {detail}")


def adapter_for(
    name: str, workdir: Path, base_model: str, pairs: list[Pair], **overrides: Any
) -> Path:
    """Train (or reuse) the demo's recipe on ``pairs`` with ``overrides``."""
    out = workdir / "adapters" / name
    if (out / "manifest.json").is_file():
        return out
    data_dir = workdir / "data" / name
    prepare(pairs, data_dir, source=name, fractions=SplitFractions())
    train(tiny_model_config(base_model, data_dir, out, eval_steps=0, save_steps=10_000,
                            evaluate=False, **overrides))
    return out


def with_generation(adapter: Path, params: dict[str, Any]) -> Callable[[], LoadedModel]:
    """A loader of ``adapter`` decoding with ``params`` instead of its manifest's own."""
    def load() -> LoadedModel:
        manifest = AdapterManifest.load(adapter)
        update = manifest.generation.model_dump() | params
        manifest.generation = GenerationParams(**update)
        return load_for_inference(adapter, precision="nf4", device="cpu", manifest=manifest)
    return load


def run(load: Callable[[], LoadedModel], pairs: Sequence[Pair]) -> Generated:
    loaded = load()
    try:
        return generate(loaded, pairs, batch_size=16)
    finally:
        del loaded
        release_memory()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path(".newsum/bench/quality"),
                        help="Cache of the corpus, the tiny model and the adapters.")
    parser.add_argument("--fresh", type=int, default=200,
                        help="Fresh synthetic articles to score (half per language).")
    parser.add_argument("--seed", type=int, default=23, help="Seed of the fresh articles.")
    args = parser.parse_args()

    started = time.perf_counter()
    config = DemoConfig(workdir=args.workdir)
    config.workdir.mkdir(parents=True, exist_ok=True)
    articles = newsroom_articles(config)
    base_model = str(tiny_foundation_model(config))
    items = {str(i.id): i for i in generate_corpus(config.articles, seed=config.seed)}
    pairs = load_pairs_from_file(articles, ColumnMapping(article="body", summary="summary"))
    adapters = {
        "adapter": adapter_for("recipe", config.workdir, base_model, pairs),
        "adapter, 320-token prompt": adapter_for(
            "whole-article", config.workdir, base_model, pairs, max_input_tokens=320),
        "adapter, role-first refs": adapter_for(
            "role-first", config.workdir, base_model,
            [role_first(p, items[p.id]) for p in pairs]),
    }
    built = time.perf_counter() - started

    fresh = generate_corpus(args.fresh, seed=args.seed)
    test = [Pair(str(i.id), i.title, i.body, i.summary, i.language, facts=fact_record(i.facts))
            for i in fresh]
    runs: dict[str, Generated] = {"lead-3": Generated([lead3(p.article) for p in test], set(),
                                                      [])}
    recipe = adapters["adapter"]
    full = dict(DECODING[-1][1])

    def base() -> LoadedModel:
        loaded = load_for_inference(None, base_model=base_model, precision="nf4", device="cpu")
        loaded.manifest = AdapterManifest.load(recipe)  # the adapter's prompt and decoding
        return loaded

    runs["base"] = run(base, test)
    for label, params in DECODING:
        runs[f"adapter {label}"] = run(with_generation(recipe, params), test)
    for label in ("adapter, 320-token prompt", "adapter, role-first refs"):
        runs[label] = run(with_generation(adapters[label], full), test)

    lexicon = lexicon_of(pairs + test)
    for language in ("en", "pt-BR"):
        indices = [i for i, p in enumerate(test) if p.language == language]
        systems = [
            score_system(
                name, [r.texts[i] for i in indices], [test[i] for i in indices],
                len(r.failed.intersection(indices)),
                passed=[r.passed[i] for i in indices] if r.passed else None, lexicon=lexicon,
            )
            for name, r in runs.items()
        ]
        print(format_table(f"{language}: {len(indices)} fresh articles (seed {args.seed})",
                           systems))
        print()
    print(f"models built or reused in {built:.0f} s; scored in"
          f" {time.perf_counter() - started - built:.0f} s")


if __name__ == "__main__":
    main()
