"""What the evaluation measures beside ROUGE: the check's view, and the truth by the record.

The check's view is what a worker does: entity and number precision (Nan et al. 2021)
and the share of summaries that pass the faithfulness check. The truth comes from the
pairs' fact records (:mod:`newsum.trainer.truth`), never from the check: fact accuracy
(the share of summaries wholly true), the share of invented words, and how good the
check is against that truth (of the summaries it passes, the share true; of the false
ones, the share it holds). Pairs without a record are not judged; with none, the truth
figures are None.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from newsum.modeling.faithfulness import (
    ArticleText,
    FaithfulnessChecker,
    SupportCounts,
    support_counts,
)
from newsum.trainer.data import Pair
from newsum.trainer.facts import Lexicon
from newsum.trainer.truth import judge


def lexicon_of(pairs: Iterable[Pair]) -> Lexicon:
    """The words of the pairs' texts and the roles, events, places and names of their
    records, per language: what the judge knows of the corpus."""
    return Lexicon.build(
        (pair.language, (pair.title, pair.article, pair.summary), pair.facts) for pair in pairs
    )


def article_text(pair: Pair) -> ArticleText:
    """The pair's article as the check reads it."""
    return ArticleText(pair.title, pair.article, pair.language)


def check_scores(
    predictions: Sequence[str], pairs: Sequence[Pair], passed: Sequence[bool]
) -> dict[str, float | None]:
    """Corpus-level entity and number precision, and the share passing the check."""
    total = SupportCounts(0, 0, 0, 0)
    for prediction, pair in zip(predictions, pairs, strict=True):
        total = total + support_counts(article_text(pair), prediction)
    entity, number = total.entity_precision, total.number_precision
    return {
        "entity_precision": None if entity is None else round(entity, 4),
        "number_precision": None if number is None else round(number, 4),
        "passed": round(sum(passed) / max(len(pairs), 1), 4),
    }


def passes(checker: FaithfulnessChecker, predictions: Sequence[str], pairs: Sequence[Pair]
           ) -> list[bool]:
    """Whether each prediction passes ``checker`` (for systems that did not generate
    through the checked path, such as lead-3)."""
    return [
        checker.check(article_text(pair), prediction).passed
        for prediction, pair in zip(predictions, pairs, strict=True)
    ]


@dataclass(frozen=True)
class TruthScores:
    """Truth by the record over the judged pairs (shares in [0, 1], None when undefined)."""

    judged: int = 0  # pairs with a fact record
    fact_accuracy: float | None = None  # summaries wholly true
    invented_words: float | None = None  # words neither the article's nor the language's
    passed_true: float | None = None  # of the summaries the check passes, the share true
    false_held: float | None = None  # of the false summaries, the share the check holds

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "judged": self.judged, "fact_accuracy": self.fact_accuracy,
            "invented_words": self.invented_words, "passed_true": self.passed_true,
            "false_held": self.false_held,
        }


def truth_scores(
    predictions: Sequence[str], pairs: Sequence[Pair], passed: Sequence[bool], lexicon: Lexicon
) -> TruthScores:
    """Judge every prediction whose pair has a record; see :class:`TruthScores`."""
    verdicts: list[tuple[bool, bool]] = []  # (true, passed)
    words = invented = 0
    for prediction, pair, ok in zip(predictions, pairs, passed, strict=True):
        if pair.facts is None:
            continue
        judgement = judge(prediction, pair.facts, article=article_text(pair).text,
                          language=pair.language, lexicon=lexicon)
        verdicts.append((judgement.true, ok))
        words += judgement.words
        invented += len(judgement.invented)
    if not verdicts:
        return TruthScores()
    passed_truth = [true for true, ok in verdicts if ok]
    false_held = [not ok for true, ok in verdicts if not true]
    return TruthScores(
        judged=len(verdicts),
        fact_accuracy=_share(true for true, _ in verdicts),
        invented_words=round(invented / words, 4) if words else 0.0,
        passed_true=_share(passed_truth),
        false_held=_share(false_held),
    )


def _share(flags: Iterable[bool]) -> float | None:
    values = list(flags)
    return round(sum(values) / len(values), 4) if values else None
