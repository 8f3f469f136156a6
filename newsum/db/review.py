"""The editors' side of the summaries table: the review queue, actions, the audit trail.

Data functions in the house style: they take a ``session``, never commit, and leave the
transaction to the caller, so an action and its audit record are one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from newsum.db.models import (
    GENERATED_STATES,
    REVIEWABLE_STATES,
    Editor,
    ModelVersion,
    ReviewAction,
    ReviewRecord,
    Summary,
    SummaryStatus,
)
from newsum.errors import ReviewConflict, SummaryNotFound

MAX_PAGE_SIZE = 100
# Summary ids are 32-bit integers (PostgreSQL's INTEGER); a larger one can name nothing,
# and SQLite fails on one past 64 bits, so requests are bounded by this.
MAX_SUMMARY_ID = 2**31 - 1

# The states each action applies to: approving keeps the generated text as written, so
# it applies to generated summaries only; an editor may edit or reject any summary again.
ACTION_APPLIES_TO: dict[ReviewAction, frozenset[SummaryStatus]] = {
    ReviewAction.APPROVE: GENERATED_STATES,
    ReviewAction.EDIT: REVIEWABLE_STATES,
    ReviewAction.REJECT: REVIEWABLE_STATES,
}
ACTION_RESULT = {
    ReviewAction.APPROVE: SummaryStatus.APPROVED,
    ReviewAction.EDIT: SummaryStatus.EDITED,
    ReviewAction.REJECT: SummaryStatus.REJECTED,
}


@dataclass(frozen=True, slots=True)
class ReviewFilters:
    """Which summaries a page of the review queue holds."""

    status: SummaryStatus = SummaryStatus.NEEDS_REVIEW
    section: str | None = None
    language: str | None = None
    model_version_id: int | None = None
    after: int | None = None  # keyset: the last summary id of the previous page
    limit: int = 20


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One summary in the review queue, with its article."""

    summary_id: int
    article_id: int
    model_version_id: int
    model_version: str
    status: str
    text: str | None
    findings: list[dict[str, str]]
    updated_at: datetime
    title: str | None
    section: str | None
    language: str | None
    body: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewChange:
    """What an editor does to one summary; texts and findings are already final."""

    action: ReviewAction
    editor: Editor
    text: str | None = None  # the editor's text (edit)
    findings: list[dict[str, str]] | None = None  # the check's findings on ``text`` (edit)
    regenerate: bool = False
    note: str | None = None
    expected_text: str | None = None  # the text the editor saw; a different one is a conflict
    channel: str | None = None  # how the editor signed this action: page or token
    credential_id: str | None = None  # the session's or the token's id


def review_queue(session: Session, articles: Table, filters: ReviewFilters) -> list[ReviewItem]:
    """One page of summaries in ``filters.status``, oldest first (keyset on summary id)."""
    query = _items_query(articles).where(Summary.status == filters.status)
    if filters.section is not None:
        query = query.where(articles.c.section == filters.section)
    if filters.language is not None:
        query = query.where(articles.c.language == filters.language)
    if filters.model_version_id is not None:
        query = query.where(Summary.model_version_id == filters.model_version_id)
    if filters.after is not None:
        query = query.where(Summary.id > filters.after)
    limit = max(1, min(filters.limit, MAX_PAGE_SIZE))
    rows = session.execute(query.order_by(Summary.id).limit(limit))
    return [_item(row, with_body=False) for row in rows]


def review_item(session: Session, articles: Table, summary_id: int) -> ReviewItem | None:
    """One summary with its article's full text, or None."""
    row = session.execute(_items_query(articles).where(Summary.id == summary_id)).first()
    return _item(row, with_body=True) if row is not None else None


def _items_query(articles: Table):  # type: ignore[no-untyped-def]
    # An outer join: a summary whose article the CMS deleted still shows (without text).
    return (
        select(Summary, ModelVersion.name.label("version_name"),
               articles.c.title, articles.c.section, articles.c.language, articles.c.body)
        .join(ModelVersion, ModelVersion.id == Summary.model_version_id)
        .outerjoin(articles, articles.c.id == Summary.article_id)
    )


def _item(row, *, with_body: bool) -> ReviewItem:  # type: ignore[no-untyped-def]
    summary: Summary = row[0]
    return ReviewItem(
        summary_id=summary.id,
        article_id=summary.article_id,
        model_version_id=summary.model_version_id,
        model_version=row.version_name,
        status=str(summary.status),
        text=summary.text,
        findings=list(summary.findings or []),
        updated_at=summary.updated_at,
        title=row.title,
        section=row.section,
        language=row.language,
        body=row.body if with_body else None,
    )


def lock_summary(session: Session, article_id: int, model_version_id: int) -> Summary:
    """The summary row, locked until the transaction ends; raises SummaryNotFound.

    The lock (FOR UPDATE on PostgreSQL; SQLite serialises writers itself) keeps a worker's
    upsert and a second editor waiting until this action and its record are committed.
    """
    summary = session.scalars(
        select(Summary)
        .where(Summary.article_id == article_id, Summary.model_version_id == model_version_id)
        .with_for_update()
    ).one_or_none()
    if summary is None:
        raise SummaryNotFound(f"no summary of article {article_id} for this model version")
    return summary


def apply_review(session: Session, summary: Summary, change: ReviewChange) -> ReviewRecord:
    """Apply ``change`` to a locked summary row and append its audit record.

    An edit with findings (the check's, on the editor's text) is stored as the row's text
    but left ``needs_review``. Raises ReviewConflict when the action does not apply to the
    row's state, or the row's text is no longer the one the editor saw.
    """
    before = SummaryStatus(summary.status)
    after = ACTION_RESULT[change.action]
    if change.action is ReviewAction.EDIT and change.findings:
        # An edit the check does not pass is not published either: it waits, with its
        # findings, until the editor corrects it or approves it as it stands.
        after = SummaryStatus.NEEDS_REVIEW
    if before not in ACTION_APPLIES_TO[change.action]:
        raise ReviewConflict(f"cannot {change.action} a summary that is {before}")
    if change.expected_text is not None and change.expected_text != (summary.text or "").strip():
        raise ReviewConflict("the summary changed since it was shown; reload and review again")
    record = ReviewRecord(
        editor_id=change.editor.id, article_id=summary.article_id,
        model_version_id=summary.model_version_id, action=change.action,
        status_before=before.value, status_after=after.value,
        text_before=summary.text, findings_before=summary.findings,
        regenerate=change.regenerate, note=change.note,
        channel=change.channel, credential_id=change.credential_id,
    )
    summary.status = after
    if change.action is not ReviewAction.APPROVE:
        summary.faithfulness_score = None  # it scored the text that is gone
    if change.action is ReviewAction.EDIT:
        summary.text = change.text
        summary.findings = change.findings or None
    elif change.action is ReviewAction.REJECT:
        summary.text = None
        summary.reason = f"rejected by editor {change.editor.name}"
    record.text_after = summary.text
    record.findings_after = summary.findings
    session.add(record)
    session.flush()
    return record


def review_records(
    session: Session, article_id: int, model_version_id: int | None = None
) -> Sequence[ReviewRecord]:
    """The audit trail of one article (one version, or all), oldest first, editors loaded."""
    query = select(ReviewRecord).where(ReviewRecord.article_id == article_id)
    if model_version_id is not None:
        query = query.where(ReviewRecord.model_version_id == model_version_id)
    records = session.scalars(query.order_by(ReviewRecord.id)).all()
    for record in records:
        _ = record.editor.name  # loaded now: callers read it after the session closes
    return records
