"""Is a summary faithful to its article? Checked before anything is published.

A pure check (no I/O, no model, works offline), shared by the trainer's evaluation and
the workers::

    from newsum.modeling.faithfulness import ArticleText, LengthBounds, check_summary

    article = ArticleText(title=row.title, body=row.body, language=row.language)
    verdict = check_summary(article, summary,
                            bounds=LengthBounds.from_max_tokens(manifest.max_summary_tokens))
    if not verdict.passed:
        store(verdict.as_dict())  # {"passed": false, "findings": [{"kind": ..., "value": ...}]}

Every figure, name, weekday, month, year and quotation of the summary must be found in
the article (in either language's way of writing it), the summary must be in the
article's language, and it must be neither empty, too short, too long, repetitive, an
echo of the prompt, nor obedient to instructions planted in the article. Finding kinds
are listed in ``FindingKind``.

``FaithfulnessChecker`` is the interface: ``RuleChecker`` implements it by rule; a model
that scores entailment (SummaC, AlignScore) can implement it later and callers stay as
they are. ``support_counts`` gives the entity and figure counts behind the corpus-level
precisions of Nan et al. (2021), "Entity-level Factual Consistency of Abstractive Text
Summarization", from the same extraction the check uses.

Modules: ``numbers``, ``names``, ``dates``, ``quotes``, ``language`` and ``form`` each
hold one check; ``text`` the shared tokens and word lists; ``checker`` puts them together.
"""

from __future__ import annotations

from newsum.modeling.faithfulness.checker import (
    ArticleIndex,
    FaithfulnessChecker,
    RuleChecker,
    check_summary,
    index_article,
    support_counts,
)
from newsum.modeling.faithfulness.verdict import (
    ArticleText,
    Finding,
    FindingKind,
    LengthBounds,
    SupportCounts,
    Verdict,
    normalize_language,
)

__all__ = [
    "ArticleIndex",
    "ArticleText",
    "FaithfulnessChecker",
    "Finding",
    "FindingKind",
    "LengthBounds",
    "RuleChecker",
    "SupportCounts",
    "Verdict",
    "check_summary",
    "index_article",
    "normalize_language",
    "support_counts",
]
