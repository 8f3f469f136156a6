"""The check against deliberate corruption: reference summaries made false one fact at
a time are held, and the untouched references pass, in English and Portuguese.

The truth is the article's fact record (see ``harness.corruption``), never the check.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from harness.corruption import CORRUPTIONS, corrupt
from newsum.modeling.faithfulness import ArticleText, check_summary
from newsum.sandbox.corpus import NewsItem, generate_corpus

LANGUAGES = ("en", "pt-BR")


@pytest.fixture(scope="module")
def corpus() -> list[NewsItem]:
    return generate_corpus(300, seed=2024)  # not a seed the other tests use


def _article(item: NewsItem) -> ArticleText:
    return ArticleText(item.title, item.body, item.language)


def test_untouched_references_pass(corpus: list[NewsItem]) -> None:
    failed = [
        (item.summary, verdict.as_dict())
        for item in corpus
        if not (verdict := check_summary(_article(item), item.summary)).passed
    ]
    assert len(failed) <= 0.02 * len(corpus), failed


def test_corrupted_references_are_held_for_every_kind_in_both_languages(
    corpus: list[NewsItem],
) -> None:
    rng = random.Random(7)
    held: Counter[tuple[str, str]] = Counter()
    made: Counter[tuple[str, str]] = Counter()
    passed = []
    for item in corpus:
        for kind in CORRUPTIONS:
            summary = corrupt(item, kind, rng)
            if summary is None:
                continue
            made[kind, item.language] += 1
            if check_summary(_article(item), summary).passed:
                passed.append((kind, summary))
            else:
                held[kind, item.language] += 1
    assert all(made[kind, language] >= 100 for kind in CORRUPTIONS for language in LANGUAGES)
    assert sum(held.values()) >= 0.99 * sum(made.values()), passed
    shares = {key: held[key] / count for key, count in made.items()}
    assert min(shares.values()) >= 0.97, (shares, passed)


def test_each_kind_changes_the_fact_it_names(corpus: list[NewsItem]) -> None:
    item = next(i for i in corpus if i.language == "pt-BR")
    rng = random.Random(1)
    facts = item.facts
    assert facts.other_name in (corrupt(item, "person", rng) or "")
    assert facts.other_role in (corrupt(item, "role", rng) or "")
    day = corrupt(item, "day", rng) or ""
    assert facts.weekday not in day and day != item.summary
    with pytest.raises(ValueError, match="unknown corruption"):
        corrupt(item, "tense", rng)
