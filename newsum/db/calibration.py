"""Calibrated entailment thresholds, and the editors' decisions they can be calibrated on.

Workers run on many machines and share only the database and the broker, so the
threshold ``newsum faithfulness calibrate`` chooses is a row here, read by every worker
when it builds its checker. Data functions in the house style: they take a ``session``
and never commit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from newsum.db.models import FaithfulnessCalibration, ReviewAction, ReviewRecord
from newsum.modeling.faithfulness.entailment import DEFAULT_THRESHOLD


@dataclass(frozen=True)
class CalibrationResult:
    """A chosen threshold for one model and what it was chosen on, ready to record."""

    model: str
    threshold: float
    target_precision: float
    precision: float
    published: float
    with_rules: bool
    source: str
    fingerprint: str
    labelled: int
    faithful: int
    curve: list[dict[str, float]] = field(default_factory=list)


def record_calibration(session: Session, result: CalibrationResult) -> FaithfulnessCalibration:
    """Append ``result``; from the next batch on, workers serving its model use it."""
    row = FaithfulnessCalibration(**asdict(result))
    session.add(row)
    session.flush()
    return row


def latest_calibration(session: Session, model: str) -> FaithfulnessCalibration | None:
    """The newest calibration recorded for ``model`` (as configured), or None."""
    return session.scalars(
        select(FaithfulnessCalibration)
        .where(FaithfulnessCalibration.model == model)
        .order_by(FaithfulnessCalibration.id.desc())
        .limit(1)
    ).first()


@dataclass(frozen=True)
class ThresholdInForce:
    """The threshold a checker uses, and where it comes from (for logs and reports)."""

    value: float
    source: str


def threshold_in_force(session: Session, model: str, explicit: float | None) -> ThresholdInForce:
    """An explicit setting first, then the latest calibration for ``model``, then the default."""
    if explicit is not None:
        return ThresholdInForce(explicit, "set explicitly")
    row = latest_calibration(session, model)
    if row is None:
        return ThresholdInForce(DEFAULT_THRESHOLD, "default; no calibration recorded")
    return ThresholdInForce(
        row.threshold, f"calibration {row.id} of {row.created_at:%Y-%m-%d} on {row.source}"
    )


@dataclass(frozen=True)
class ReviewDecision:
    """One editor's action on a summary, with the article it summarised (None if deleted)."""

    record_id: int
    article_id: int
    model_version_id: int
    action: ReviewAction
    text_before: str
    text_after: str | None
    title: str | None
    body: str | None
    language: str | None


def review_decisions(session: Session, articles: Table) -> list[ReviewDecision]:
    """Every review record of a summary that had a text, oldest first, with its article."""
    rows = session.execute(
        select(ReviewRecord, articles.c.title, articles.c.body, articles.c.language)
        .outerjoin(articles, articles.c.id == ReviewRecord.article_id)
        .where(ReviewRecord.text_before.is_not(None))
        .order_by(ReviewRecord.id)
    )
    return [
        ReviewDecision(
            record_id=record.id, article_id=record.article_id,
            model_version_id=record.model_version_id, action=ReviewAction(record.action),
            text_before=record.text_before or "", text_after=record.text_after,
            title=title, body=body, language=language,
        )
        for record, title, body, language in rows
    ]
