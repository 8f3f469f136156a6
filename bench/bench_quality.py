"""Quality benchmark: lead-3, the base model and the adapter side by side, in one run.

It trains (or reuses, from the cache folder) the adapter exactly as ``newsum demo`` does:
the synthetic corpus, the project's tiny foundation model, the demo's QLoRA recipe. Then
it scores the three systems on the whole held-out test split through ``newsum eval``'s
own code: ROUGE-1/2/Lsum against the references, entity and number precision (names and
figures of the summaries found in their articles), and the share of summaries that pass
the faithfulness check the workers apply. All pairs first, then English and Brazilian
Portuguese separately.

Usage: PYTHONPATH=. .venv/bin/python -m bench.bench_quality [--workdir DIR] [--articles N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from newsum.sandbox.demo import (
    DemoConfig,
    fine_tuned_adapter,
    newsroom_articles,
    tiny_foundation_model,
)
from newsum.trainer.data import SplitFractions, load_split, prepare
from newsum.trainer.evaluate import evaluate_systems
from newsum.trainer.sources import ColumnMapping, load_pairs_from_file


def demo_adapter(
    workdir: Path, articles: int = DemoConfig.articles
) -> tuple[DemoConfig, Path, Path]:
    """The demo's corpus file and the adapter its recipe trains (cached in ``workdir``)."""
    config = DemoConfig(workdir=workdir, articles=articles)
    config.workdir.mkdir(parents=True, exist_ok=True)
    articles_file = newsroom_articles(config)
    base_model = str(tiny_foundation_model(config))
    adapter_dir, _ = fine_tuned_adapter(config, base_model, articles_file, exclude=set())
    return config, articles_file, adapter_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path(".newsum/bench/quality"),
                        help="Cache of the corpus, the tiny model and the adapter.")
    parser.add_argument("--articles", type=int, default=DemoConfig.articles,
                        help="Synthetic articles (the demo's count by default).")
    parser.add_argument("--max-test", type=int, default=200,
                        help="Test pairs to score at most.")
    args = parser.parse_args()

    started = time.perf_counter()
    config, articles, adapter_dir = demo_adapter(args.workdir, args.articles)
    built = time.perf_counter() - started

    # The same deterministic split the adapter was trained with: its test articles only.
    pairs = load_pairs_from_file(articles, ColumnMapping(article="body", summary="summary"))
    split_dir = config.workdir / "split"
    prepare(pairs, split_dir, source=str(articles), fractions=SplitFractions())
    test = load_split(split_dir / "test.jsonl")[: args.max_test]
    started = time.perf_counter()
    report = evaluate_systems(test, adapter_dir=adapter_dir, precision="nf4", device="cpu",
                              batch_size=16)
    print(report.table())
    print(f"\nadapter {adapter_dir} (built or reused in {built:.0f} s);"
          f" {len(test)} test pairs scored in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
