"""newsum's own tables (migrated by Alembic) and the CMS's article table (read only).

The article table belongs to the CMS: its table and column names come from settings, and
its :class:`~sqlalchemy.Table` lives in a separate ``MetaData`` so that no migration of
newsum ever touches it. Its columns are keyed by their canonical names (``c.body``,
``c.updated_at``) whatever the CMS calls them.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from newsum.config import ArticleSource


def utcnow() -> datetime:
    """Timezone-aware now, the only clock the tables use."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class SummaryStatus(enum.StrEnum):
    """Where an enqueued article stands for one model version.

    ``queued`` is set when the id is put on the queue, and every queued id ends in one
    of the final states. ``done`` is a generated summary that passed the faithfulness
    check: publishable. ``needs_review`` is a generated summary that did not pass it: it
    keeps its text and findings for an editor and is never published as it stands.
    ``skipped`` is permanent for the current article text (unknown id, empty body);
    ``failed`` is retried by the next sweep or backfill. An editor turns a summary into
    ``approved`` (its text as written), ``edited`` (the editor's text) or ``rejected``
    (no summary from this version); approved and edited are publishable and no worker
    overwrites them unless asked to explicitly (``override_review``).
    """

    QUEUED = "queued"
    DONE = "done"
    NEEDS_REVIEW = "needs_review"
    FAILED = "failed"
    SKIPPED = "skipped"
    APPROVED = "approved"
    EDITED = "edited"
    REJECTED = "rejected"


PUBLISHABLE = frozenset({SummaryStatus.DONE, SummaryStatus.APPROVED, SummaryStatus.EDITED})
"""The states whose text the CMS may show readers."""

GENERATED_STATES = frozenset({SummaryStatus.DONE, SummaryStatus.NEEDS_REVIEW})
"""A generated summary, published or held for review: one made from the same article text
by the same version is not generated again unless someone forces it."""

PROTECTED_STATES = frozenset({SummaryStatus.APPROVED, SummaryStatus.EDITED})
"""An editor's word on a summary: final for its version. Workers, redeliveries, backfills
(even forced) and the sweeper leave these rows alone unless ``override_review`` is asked."""

REVIEWED_STATES = PROTECTED_STATES | {SummaryStatus.REJECTED}
"""States only an editor sets."""

REVIEWABLE_STATES = GENERATED_STATES | REVIEWED_STATES
"""States an editor may act on: a generated summary, or one reviewed before."""

SETTLED_STATES = GENERATED_STATES | {SummaryStatus.REJECTED}
"""A summary of the same text in one of these states is not generated again unless forced."""

UNSUMMARIZED_STATES = frozenset({SummaryStatus.FAILED, SummaryStatus.SKIPPED})
"""Ended without a summary, with a reason."""

FINAL_STATES = frozenset(state for state in SummaryStatus if state is not SummaryStatus.QUEUED)
"""Every state a claimed id can end in (a reviewed summary is final too)."""

CURRENT_STATES = frozenset({
    SummaryStatus.DONE, SummaryStatus.NEEDS_REVIEW, SummaryStatus.SKIPPED, *REVIEWED_STATES
})
"""States that, made from the article as it is now, need no new generation: a summary
waiting for an editor is not generated again (greedy decoding would write it again), nor
one an editor approved, edited or rejected."""


class ModelVersion(Base):
    """One fine-tuned adapter the registry knows; exactly one is active."""

    __tablename__ = "newsum_model_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    adapter_path: Mapped[str] = mapped_column(Text)
    base_model: Mapped[str] = mapped_column(String(500))
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    summaries: Mapped[list[Summary]] = relationship(back_populates="model_version")


class Summary(Base):
    """The summary of one article by one model version (or why there is none)."""

    __tablename__ = "newsum_summaries"
    __table_args__ = (
        UniqueConstraint("article_id", "model_version_id", name="uq_newsum_summaries_article"),
        Index("ix_newsum_summaries_status", "model_version_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No foreign key: the article table belongs to the CMS and may live elsewhere.
    article_id: Mapped[int] = mapped_column(BigInteger)
    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("newsum_model_versions.id", ondelete="CASCADE")
    )
    status: Mapped[SummaryStatus] = mapped_column(
        Enum(SummaryStatus, name="newsum_summary_status", native_enum=False, length=16,
             values_callable=lambda e: [m.value for m in e])
    )
    text: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    # What the faithfulness check found in ``text``: [{"kind": ..., "value": ...}, ...].
    findings: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    # The entailment model's support score for ``text`` when one is configured (0 to 1).
    faithfulness_score: Mapped[float | None] = mapped_column(Float)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    # The article's updated_at when it was summarised: a later edit makes the summary stale.
    article_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    input_tokens: Mapped[int | None] = mapped_column(Integer)
    output_tokens: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    model_version: Mapped[ModelVersion] = relationship(back_populates="summaries")


class ServiceEvent(Base):
    """Something that went wrong in a worker, the sweeper or the queue, for ``newsum status``.

    Logs say the same at the moment it happens; events outlive the log lines of a
    restarted container and show up in one place for every worker.
    """

    __tablename__ = "newsum_events"
    __table_args__ = (Index("ix_newsum_events_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer, default=1)


class Editor(Base):
    """A person who reviews summaries on the review page (``newsum editors add``)."""

    __tablename__ = "newsum_editors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # argon2id, in the PHC string format argon2-cffi writes (parameters and salt included).
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Every review-page session carries the version it was signed in under; a logout, a
    # new password or disabling the account bumps it, which ends all those sessions.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class EditorToken(Base):
    """A per-editor credential for the JSON review API (``newsum editors token NAME``).

    Only a SHA-256 of the token is stored: the token is 256 random bits, so a fast hash
    is enough to make a leaked table useless, and it lets a request be matched by index.
    """

    __tablename__ = "newsum_editor_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    editor_id: Mapped[int] = mapped_column(ForeignKey("newsum_editors.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    editor: Mapped[Editor] = relationship()


class ReviewChannel(enum.StrEnum):
    """Which of an editor's credentials took a review action."""

    PAGE = "page"  # a signed-in session of the review page (its forms or the JSON API)
    TOKEN = "token"  # a per-editor API token


class ReviewAction(enum.StrEnum):
    """What an editor did to a summary."""

    APPROVE = "approve"
    EDIT = "edit"
    REJECT = "reject"


class ReviewRecord(Base):
    """One editor action on one summary: the audit trail, and training data for later.

    Append-only: newsum inserts these rows and never updates or deletes them (the ORM
    refuses to, see ``_refuse_changes``). Texts and findings are copies, so a record
    keeps what the editor saw and wrote whatever happens to the summary afterwards.
    """

    __tablename__ = "newsum_review_records"
    __table_args__ = (
        Index("ix_newsum_review_records_summary", "article_id", "model_version_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    editor_id: Mapped[int] = mapped_column(ForeignKey("newsum_editors.id"))
    article_id: Mapped[int] = mapped_column(BigInteger)
    model_version_id: Mapped[int] = mapped_column(ForeignKey("newsum_model_versions.id"))
    action: Mapped[ReviewAction] = mapped_column(
        Enum(ReviewAction, name="newsum_review_action", native_enum=False, length=16,
             values_callable=lambda e: [m.value for m in e])
    )
    status_before: Mapped[str] = mapped_column(String(16))
    status_after: Mapped[str] = mapped_column(String(16))
    text_before: Mapped[str | None] = mapped_column(Text)
    text_after: Mapped[str | None] = mapped_column(Text)
    # The check's findings on the text before (what the worker stored) and after the action.
    findings_before: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    findings_after: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    regenerate: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    # How the editor proved who they are: the channel, and the id of that credential (the
    # session's id, or the token's id that `newsum editors tokens` lists). Empty on
    # records written before channels were recorded.
    channel: Mapped[str | None] = mapped_column(String(16))
    credential_id: Mapped[str | None] = mapped_column(String(64))

    editor: Mapped[Editor] = relationship()


@event.listens_for(ReviewRecord, "before_update")
@event.listens_for(ReviewRecord, "before_delete")
def _refuse_changes(_mapper: Any, _connection: Any, record: ReviewRecord) -> None:
    raise PermissionError(f"review record {record.id} is append-only")


class FaithfulnessCalibration(Base):
    """An entailment threshold chosen from labelled summaries, and what it was chosen on.

    Workers on every machine read the latest row for the model they serve when they build
    their checker (an explicit ``NEWSUM_FAITHFULNESS_THRESHOLD`` overrides it). Rows are
    kept, so the history of thresholds stays readable.
    """

    __tablename__ = "newsum_faithfulness_calibrations"
    __table_args__ = (Index("ix_newsum_faithfulness_calibrations_model", "model", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The model as configured (NEWSUM_FAITHFULNESS_MODEL): scores of another mean nothing.
    model: Mapped[str] = mapped_column(String(500))
    threshold: Mapped[float] = mapped_column(Float)
    target_precision: Mapped[float] = mapped_column(Float)
    # What the threshold achieves on the labels: faithful among published, share published.
    precision: Mapped[float] = mapped_column(Float)
    published: Mapped[float] = mapped_column(Float)
    with_rules: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64))
    labelled: Mapped[int] = mapped_column(Integer)
    faithful: Mapped[int] = mapped_column(Integer)
    # The curve the threshold was read from: [{"threshold", "precision", "published"}, ...].
    curve: Mapped[list[dict[str, float]]] = mapped_column(JSON, default=list)


def articles_table(source: ArticleSource, metadata: MetaData | None = None) -> Table:
    """The CMS's article table as described by ``source``, columns keyed canonically."""
    return Table(
        source.table,
        metadata if metadata is not None else MetaData(),
        Column(source.id_column, BigInteger().with_variant(Integer, "sqlite"),
               key="id", primary_key=True, autoincrement=False),
        Column(source.title_column, Text, key="title"),
        Column(source.body_column, Text, key="body"),
        Column(source.section_column, String(100), key="section"),
        Column(source.language_column, String(16), key="language"),
        Column(source.url_column, Text, key="url"),
        Column(source.published_at_column, DateTime(timezone=True), key="published_at"),
        Column(source.updated_at_column, DateTime(timezone=True), key="updated_at"),
        *(
            [Column(source.summary_column, Text, key="editor_summary")]
            if source.summary_column
            else []
        ),
        schema=source.schema_name,
    )
