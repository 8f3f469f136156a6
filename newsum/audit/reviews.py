"""Labels from the editors' audit trail: what they approved, rejected or corrected.

Editors label summaries every day without meaning to:

- **approved**: the summary stood as written, so it is faithful;
- **rejected**: it is not;
- **edited because of a fact**: the worker's text states a fact (a name, figure, date,
  quotation, or whatever else the rules judge) that the editor's text no longer
  supports, so it is not faithful. The rules decide this, with the editor's text in
  the article's place;
- **edited for wording only** (every fact kept): says nothing about faithfulness and is
  left out, with a count.

An editor may act on one summary more than once; the last labelled action on a text
counts. A
decision whose article the CMS has since deleted is left out too (there is nothing left
to score the summary against).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import Engine

from newsum.audit.records import SummaryItem
from newsum.config import Settings
from newsum.db.calibration import ReviewDecision, review_decisions
from newsum.db.models import ReviewAction, articles_table
from newsum.modeling.faithfulness.checker import RuleChecker
from newsum.modeling.faithfulness.verdict import ArticleText, FindingKind, LengthBounds

# Findings about the form of a text, not its facts: a shorter or reworded edit makes them.
FORM_KINDS = frozenset({
    FindingKind.EMPTY, FindingKind.TOO_SHORT, FindingKind.TOO_LONG, FindingKind.REPETITION,
    FindingKind.PROMPT_ECHO, FindingKind.INJECTION, FindingKind.WRONG_LANGUAGE,
})
_FACTS_ONLY = RuleChecker(bounds=LengthBounds(min_words=0))


def edit_changed_a_fact(before: str, after: str) -> bool:
    """Whether the editor's text ``after`` drops or changes a fact of the worker's ``before``."""
    verdict = _FACTS_ONLY.check(ArticleText("", after), before)
    return any(finding.kind not in FORM_KINDS for finding in verdict.findings)


def review_label(decision: ReviewDecision) -> bool | None:
    """Faithful (True), not (False), or no label (None: an edit for wording only)."""
    if decision.action is ReviewAction.APPROVE:
        return True
    if decision.action is ReviewAction.REJECT:
        return False
    return False if edit_changed_a_fact(decision.text_before, decision.text_after or "") else None


@dataclass(frozen=True)
class ReviewLabels:
    """The labelled summaries of the audit trail, and what it says they were made of."""

    items: list[SummaryItem]
    source: str
    fingerprint: str
    wording_edits: int
    deleted_articles: int


def labels_from_reviews(engine: Engine, settings: Settings) -> ReviewLabels:
    """Every summary editors decided on, labelled; raises DatabaseUnavailable."""
    from newsum.db.engine import check_connection, transaction

    check_connection(engine)
    with transaction(engine) as session:
        decisions = review_decisions(session, articles_table(settings.articles))
    latest: dict[tuple[int, int, str], tuple[ReviewDecision, bool]] = {}
    wording = deleted = 0
    for decision in decisions:
        label = review_label(decision)
        key = (decision.article_id, decision.model_version_id, decision.text_before)
        if label is None:
            wording += 1  # says nothing of the facts: an earlier label of this text stands
        elif decision.body is None:
            deleted += 1
        else:
            latest[key] = (decision, label)
    items = [
        SummaryItem(
            id=f"review-{decision.record_id}",
            article=ArticleText(decision.title or "", decision.body or "", decision.language),
            summary=decision.text_before, faithful=label,
        )
        for decision, label in latest.values()
    ]
    digest = hashlib.sha256(
        "\n".join(f"{d.record_id}:{int(label)}" for d, label in latest.values()).encode()
    ).hexdigest()
    ids = [d.record_id for d, _ in latest.values()]
    span = f"records {min(ids)} to {max(ids)}" if ids else "no records"
    return ReviewLabels(
        items=items,
        source=f"editors' reviews ({span}; {wording} wording-only edits left out)",
        fingerprint=digest, wording_edits=wording, deleted_articles=deleted,
    )
