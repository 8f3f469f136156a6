"""Several checkers as one: a summary is published only when every one of them passes it.

The rules catch what a model misses cheaply and exactly (a figure the article lacks, an
echo of the prompt, the wrong language); an entailment model catches relations the rules
cannot read. Neither replaces the other, so the configured checker is both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from newsum.modeling.faithfulness.checker import FaithfulnessChecker
from newsum.modeling.faithfulness.verdict import ArticleText, Verdict


def check_batch(
    checker: FaithfulnessChecker, items: Sequence[tuple[ArticleText, str]]
) -> list[Verdict]:
    """Verdicts for many (article, summary) pairs, in order.

    A checker with its own ``check_batch`` (a model: one batched pass is many times faster
    than one pass per summary) gets them all at once; any other is asked one by one.
    """
    batched = getattr(checker, "check_batch", None)
    if batched is not None:
        return list(batched(items))
    return [checker.check(article, summary) for article, summary in items]


@dataclass(frozen=True)
class CombinedChecker:
    """Passes a summary only when every checker passes it; keeps all their findings.

    The verdict's score is the first scored checker's (the entailment score).
    """

    checkers: tuple[FaithfulnessChecker, ...]

    def __post_init__(self) -> None:
        if not self.checkers:
            raise ValueError("a combined checker needs at least one checker")

    def check(self, article: ArticleText, summary: str) -> Verdict:
        """Every checker's findings on ``summary``; passed iff none has any."""
        return self.check_batch([(article, summary)])[0]

    def check_batch(self, items: Sequence[tuple[ArticleText, str]]) -> list[Verdict]:
        """Each checker over all ``items`` (batched where it can be), then merged per item."""
        results = [check_batch(checker, items) for checker in self.checkers]
        return [merge(list(verdicts)) for verdicts in zip(*results, strict=True)]


def merge(verdicts: list[Verdict]) -> Verdict:
    """One verdict holding every finding of ``verdicts`` and the first score among them."""
    scores = [v.score for v in verdicts if v.score is not None]
    return Verdict.of(
        [finding for verdict in verdicts for finding in verdict.findings],
        score=scores[0] if scores else None,
    )
