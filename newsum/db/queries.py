"""Queries over articles and summaries that the trainer, the worker and the CLI share."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    Table,
    and_,
    any_,
    bindparam,
    func,
    literal,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from newsum.db.models import (
    CURRENT_STATES,
    GENERATED_STATES,
    PROTECTED_STATES,
    UNSUMMARIZED_STATES,
    ModelVersion,
    Summary,
    SummaryStatus,
    utcnow,
)


def content_hash(title: str | None, body: str | None) -> str:
    """SHA-256 of the text a summary is made from; a different hash means an edited article."""
    digest = hashlib.sha256()
    digest.update((title or "").encode("utf-8"))
    digest.update(b"\x00")
    digest.update((body or "").encode("utf-8"))
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class ArticleRow:
    """The fields of a CMS article that newsum reads."""

    id: int
    title: str | None
    body: str | None
    section: str | None
    language: str | None
    url: str | None
    published_at: datetime | None
    updated_at: datetime | None

    @property
    def content_hash(self) -> str:
        return content_hash(self.title, self.body)


@dataclass(frozen=True, slots=True)
class SummaryRecord:
    """A final outcome for one (article, model version), ready to upsert."""

    article_id: int
    model_version_id: int
    status: SummaryStatus
    text: str | None = None
    reason: str | None = None
    findings: list[dict[str, str]] | None = None
    faithfulness_score: float | None = None
    content_hash: str | None = None
    article_updated_at: datetime | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_ms: float | None = None
    # Set only when someone asked explicitly: the record may replace an editor's work.
    override_review: bool = False


def fetch_articles(
    connection: Connection | Session, articles: Table, ids: Iterable[int]
) -> dict[int, ArticleRow]:
    """The articles among ``ids`` that exist, by id (unknown ids are simply absent)."""
    wanted = sorted(set(ids))
    found: dict[int, ArticleRow] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = connection.execute(
            select(*(articles.c[name].label(name) for name in ArticleRow.__slots__)).where(
                articles.c.id.in_(chunk)
            )
        )
        for row in rows:
            found[row.id] = ArticleRow(**row._mapping)
    return found


def stream_unsummarized_ids(
    engine: Engine,
    articles: Table,
    model_version_id: int,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    section: str | None = None,
    date_field: Literal["published_at", "updated_at"] = "published_at",
    include_current: bool = False,
    override_review: bool = False,
    page_size: int = 1000,
) -> Iterator[int]:
    """Yield, in id order, ids of articles lacking a current summary for a model version.

    A summary is current when it is in one of :data:`CURRENT_STATES` (done, waiting for
    review, skipped) and was made from the article as last updated. Pages are fetched by
    keyset (``id > last``), each in its own short transaction, so memory stays constant and
    no long transaction holds the table. ``include_current`` yields every matching article
    (a forced re-run) except those whose summary an editor approved or edited: those are
    never yielded unless ``override_review`` (then with the usual rules of currency).
    """
    conditions = _unsummarized_conditions(
        articles, model_version_id, since=since, until=until, section=section,
        date_field=date_field, include_current=include_current,
        override_review=override_review,
    )
    last_id: int | None = None
    while True:
        query = select(articles.c.id).where(*conditions).order_by(articles.c.id).limit(page_size)
        if last_id is not None:
            query = query.where(articles.c.id > last_id)
        with engine.connect() as connection:
            page = connection.execute(query).scalars().all()
        yield from page
        if len(page) < page_size:
            return
        last_id = page[-1]


def count_unsummarized_ids(
    engine: Engine,
    articles: Table,
    model_version_id: int,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    section: str | None = None,
    date_field: Literal["published_at", "updated_at"] = "published_at",
    include_current: bool = False,
    override_review: bool = False,
) -> int:
    """How many ids :func:`stream_unsummarized_ids` would yield with the same filters."""
    conditions = _unsummarized_conditions(
        articles, model_version_id, since=since, until=until, section=section,
        date_field=date_field, include_current=include_current,
        override_review=override_review,
    )
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(articles).where(*conditions))
            .scalar_one()
        )


def _unsummarized_conditions(
    articles: Table,
    model_version_id: int,
    *,
    since: datetime | None,
    until: datetime | None,
    section: str | None,
    date_field: Literal["published_at", "updated_at"],
    include_current: bool,
    override_review: bool,
) -> list[Any]:
    """The WHERE clauses shared by the stream and the count of unsummarised articles.

    A protected row (approved, edited) is left out whatever its age: the worker would not
    touch it, so queuing it would only churn (an article edited after its approval keeps
    the approved summary until someone overrides).
    """
    summary = Summary.__table__
    this_summary = and_(
        summary.c.article_id == articles.c.id,
        summary.c.model_version_id == model_version_id,
    )
    current = and_(
        this_summary,
        summary.c.status.in_([state.value for state in CURRENT_STATES]),
        or_(
            articles.c.updated_at.is_(None),
            summary.c.article_updated_at >= articles.c.updated_at,
        ),
    )
    protected = and_(
        this_summary, summary.c.status.in_([state.value for state in PROTECTED_STATES])
    )
    conditions: list[Any] = []
    if not include_current:
        conditions.append(~select(summary.c.id).where(current).exists())
    if not override_review:
        conditions.append(~select(summary.c.id).where(protected).exists())
    date_column = articles.c[date_field]
    if since is not None:
        conditions.append(date_column >= since)
    if until is not None:
        conditions.append(date_column < until)
    if section is not None:
        conditions.append(articles.c.section == section)
    return conditions


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _insert(session: Session) -> Any:
    """The dialect's INSERT construct, which knows ON CONFLICT."""
    return _insert_construct(_dialect(session))


def _insert_construct(dialect: str) -> Any:
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"newsum supports PostgreSQL and SQLite, not {dialect}")


_CONFLICT_KEYS = ["article_id", "model_version_id"]


def upsert_summary(session: Session, record: SummaryRecord) -> bool:
    """Write the final state of one (article, model version); one row whatever the retries.

    A failure keeps the text of an earlier generated summary (nothing is lost); any
    final state clears the queue claim. A row an editor approved or edited is not
    overwritten unless ``record.override_review``: the refusal is part of the statement
    (ON CONFLICT ... DO UPDATE ... WHERE), so an editor acting while a batch generates
    still wins. Returns whether the record was written (False: refused, claim cleared).
    """
    return not upsert_summaries(session, [record])


def upsert_summaries(session: Session, records: Sequence[SummaryRecord]) -> list[SummaryRecord]:
    """Write many final states in a few statements, each exactly as :func:`upsert_summary`
    writes it; return the records refused (an editor's row, its queue claim cleared).

    Records are grouped by what they change in an existing row and whether they may
    replace an editor's work; each group is one INSERT ... ON CONFLICT of all its rows.
    Raises ValueError when two records name the same (article, model version): one
    statement cannot write a row twice.
    """
    keys = [(record.article_id, record.model_version_id) for record in records]
    if len(set(keys)) != len(keys):
        raise ValueError("two records for the same (article, model version) in one upsert")
    table = Summary.__table__
    insert = _insert(session)
    now = utcnow()
    groups: dict[tuple[str, bool], list[SummaryRecord]] = {}
    for record in records:
        groups.setdefault((_update_kind(record.status), record.override_review), []).append(
            record
        )
    # Not NOT IN (...): an expanding list cannot be bound in an executemany.
    unprotected = and_(*(table.c.status != state.value for state in PROTECTED_STATES))
    written: set[tuple[int, int]] = set()
    for (kind, override_review), group in groups.items():
        statement = insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=_CONFLICT_KEYS,
            set_=_conflict_update(statement.excluded, kind, now),
            where=None if override_review else unprotected,
        ).returning(table.c.article_id, table.c.model_version_id)
        rows = [_row_values(record, now) for record in group]
        written.update(tuple(row) for row in session.execute(statement, rows))
    refused = [record for record, key in zip(records, keys, strict=True) if key not in written]
    refused_ids: dict[int, list[int]] = {}
    for record in refused:
        refused_ids.setdefault(record.model_version_id, []).append(record.article_id)
    for version_id, article_ids in refused_ids.items():
        # The editor's row stays as it is; only the queue claim of this message ends.
        session.execute(
            table.update()
            .where(table.c.model_version_id == version_id, table.c.article_id.in_(article_ids))
            .values(queued_at=None)
        )
    return refused


def _row_values(record: SummaryRecord, now: datetime) -> dict[str, Any]:
    """The row a record inserts when the (article, version) has none yet."""
    return {
        "article_id": record.article_id,
        "model_version_id": record.model_version_id,
        "status": record.status.value,
        "text": record.text,
        "reason": record.reason,
        "findings": record.findings,
        "faithfulness_score": record.faithfulness_score,
        "content_hash": record.content_hash,
        "article_updated_at": record.article_updated_at,
        "input_tokens": record.input_tokens,
        "output_tokens": record.output_tokens,
        "latency_ms": record.latency_ms,
        "attempts": 1,
        "queued_at": None,
        "created_at": now,
        "updated_at": now,
    }


def _update_kind(status: SummaryStatus) -> str:
    """Which columns a record of ``status`` changes in an existing row (see below)."""
    if status in GENERATED_STATES:
        return "generated"
    return "skipped" if status is SummaryStatus.SKIPPED else "state"


def _conflict_update(excluded: Any, kind: str, now: datetime) -> dict[str, Any]:
    """What a record of ``kind`` (:func:`_update_kind`) changes in an existing row."""
    update: dict[str, Any] = {
        "status": excluded.status,
        "reason": excluded.reason,
        "attempts": Summary.__table__.c.attempts + 1,
        "queued_at": None,
        "updated_at": now,
    }
    if kind == "generated":
        for name in ("text", "findings", "faithfulness_score", "content_hash",
                     "article_updated_at", "input_tokens", "output_tokens", "latency_ms"):
            update[name] = excluded[name]
    elif kind == "skipped":
        # Skipped is tied to the article text it judged (empty body...): remember which.
        update["content_hash"] = excluded.content_hash
        update["article_updated_at"] = excluded.article_updated_at
    return update


def record_failure(
    session: Session,
    article_id: int,
    model_version_id: int,
    reason: str,
    *,
    status: SummaryStatus = SummaryStatus.FAILED,
    article: ArticleRow | None = None,
) -> None:
    """Record that an article was not summarised and why (``failed`` or ``skipped``)."""
    if status not in UNSUMMARIZED_STATES:
        raise ValueError(f"a failure is recorded as failed or skipped, not {status}")
    upsert_summary(
        session,
        SummaryRecord(
            article_id=article_id,
            model_version_id=model_version_id,
            status=status,
            reason=reason,
            content_hash=article.content_hash if article else None,
            article_updated_at=article.updated_at if article else None,
        ),
    )


def _id_rows(dialect: str) -> Any:
    """The ``article_ids`` parameter as a one-column table (``article_id``).

    The ids are one parameter, so the statement's text does not grow with the list and
    SQLAlchemy compiles it once: a VALUES list of 500 rows took longer to compile than to
    run. PostgreSQL unnests an array; SQLite reads a JSON array with ``json_each``
    (:func:`_bound_ids` gives the value).
    """
    if dialect == "postgresql":
        array = bindparam("article_ids", type_=postgresql.ARRAY(BigInteger))
        return select(func.unnest(array).column_valued("article_id")).subquery("ids")
    values = func.json_each(bindparam("article_ids")).table_valued("value")
    return select(values.c.value.label("article_id")).subquery("ids")


def _bound_ids(dialect: str, article_ids: Sequence[int]) -> Any:
    """The value of :func:`_id_rows`' parameter."""
    return list(article_ids) if dialect == "postgresql" else json.dumps(list(article_ids))


def _one_of(dialect: str, column: Any, name: str) -> Any:
    """``column`` is one of the list bound as ``name``: one array parameter on PostgreSQL
    (one statement text whatever the count), an IN list on SQLite."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=postgresql.ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


@lru_cache(maxsize=4)
def _claim_statement(dialect: str) -> Any:
    """INSERT ... SELECT FROM the ids ... ON CONFLICT DO UPDATE ... WHERE ... RETURNING,
    built once per dialect; every value is a parameter (``article_ids``,
    ``model_version_id``, ``claimed_at``, ``now``, ``stale_before``)."""
    table = Summary.__table__
    ids = _id_rows(dialect)
    now = bindparam("now", type_=table.c.created_at.type)
    claimed_at = bindparam("claimed_at", type_=table.c.queued_at.type)
    rows = select(
        ids.c.article_id,
        bindparam("model_version_id", type_=table.c.model_version_id.type),
        literal(SummaryStatus.QUEUED, table.c.status.type),
        literal(0, table.c.attempts.type),
        claimed_at,
        now,
        now,
    # SQLite needs a WHERE before ON CONFLICT to parse INSERT ... SELECT ... ON CONFLICT.
    ).where(true())
    statement = _insert_construct(dialect)(table).from_select(
        ["article_id", "model_version_id", "status", "attempts", "queued_at", "created_at",
         "updated_at"],
        rows,
    )
    stale_before = bindparam("stale_before", type_=table.c.queued_at.type)
    return statement.on_conflict_do_update(
        index_elements=_CONFLICT_KEYS,
        set_={"queued_at": claimed_at},
        where=or_(table.c.queued_at.is_(None), table.c.queued_at < stale_before),
    ).returning(table.c.article_id, table.c.id)


def claim_for_queue(
    session: Session,
    article_ids: Sequence[int],
    model_version_id: int,
    *,
    stale_after: timedelta,
    claimed_at: datetime | None = None,
) -> list[int]:
    """Mark ids as queued for a model version; return those that were not already queued.

    An id counts as already queued while its claim is younger than ``stale_after`` (a
    message lost with a broker restart is claimable again after that). A new row starts
    in ``queued``; an existing row keeps its status (a done summary stays readable while
    it is being redone) and only gets the claim, stamped ``claimed_at`` (default now; an
    enqueue stamps it in the past, so that it expires soon unless confirmed).
    """
    return list(claim_rows_for_queue(session, article_ids, model_version_id,
                                     stale_after=stale_after, claimed_at=claimed_at))


def claim_rows_for_queue(
    session: Session,
    article_ids: Sequence[int],
    model_version_id: int,
    *,
    stale_after: timedelta,
    claimed_at: datetime | None = None,
) -> dict[int, int]:
    """:func:`claim_for_queue`, returning each claimed article id with the id of the row
    that holds its claim (what :func:`confirm_claims` takes).

    One statement for the whole list: the claim and the test of an existing one are the
    same write, so two enqueues of one id at the same moment claim it once.
    """
    if not article_ids:
        return {}
    dialect = _dialect(session)
    now = utcnow()
    rows = session.execute(_claim_statement(dialect), {
        "article_ids": _bound_ids(dialect, dict.fromkeys(article_ids)),
        "model_version_id": model_version_id,
        "claimed_at": claimed_at or now,
        "now": now,
        "stale_before": now - stale_after,
    })
    return {article_id: row_id for article_id, row_id in rows}


@lru_cache(maxsize=4)
def _confirm_statement(dialect: str) -> Any:
    table = Summary.__table__
    return (
        table.update()
        .where(_one_of(dialect, table.c.id, "row_ids"),
               table.c.queued_at == bindparam("claimed_at", type_=table.c.queued_at.type))
        .values(queued_at=bindparam("confirmed_at", type_=table.c.queued_at.type))
    )


def confirm_claims(session: Session, row_ids: Sequence[int], claimed_at: datetime) -> None:
    """Give claims stamped ``claimed_at`` (messages now on the queue) their full lifetime.

    ``row_ids`` are the rows :func:`claim_rows_for_queue` returned. Only rows still holding
    that stamp: one a worker already finished keeps no claim. Rows are found by primary
    key, which PostgreSQL plans right even before the table has statistics (a backfill's
    first minutes: by article id it scanned every row of the version). The commit need
    not wait for the disk on PostgreSQL: a confirmation lost in a crash only lets the
    claim expire early, and a second message for an id is harmless.
    """
    if not row_ids:
        return
    dialect = _dialect(session)
    if dialect == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    session.execute(_confirm_statement(dialect), {
        "row_ids": list(row_ids), "claimed_at": claimed_at, "confirmed_at": utcnow()})


def release_claims(session: Session, article_ids: Sequence[int], model_version_id: int) -> None:
    """Drop queue claims whose messages never reached the broker.

    Two statements for the whole list: rows the claim created (still ``queued``) go, the
    others keep their state and lose the claim.
    """
    table = Summary.__table__
    these = and_(table.c.model_version_id == model_version_id,
                 _one_of(_dialect(session), table.c.article_id, "article_ids"))
    ids = {"article_ids": list(article_ids)}
    session.execute(table.update().where(these).values(queued_at=None), ids)
    session.execute(
        table.delete().where(these, table.c.status == SummaryStatus.QUEUED.value), ids)


@dataclass(frozen=True, slots=True)
class StatusCount:
    """How many summaries of one model version are in one state."""

    model_version: str
    status: str
    count: int


def counts_by_status(session: Session) -> list[StatusCount]:
    """Summary counts per model version and status, plus ``in queue`` (claimed) counts."""
    table = Summary.__table__
    versions = ModelVersion.__table__
    by_status = session.execute(
        select(versions.c.name, table.c.status, func.count())
        .join(versions, versions.c.id == table.c.model_version_id)
        .group_by(versions.c.name, table.c.status)
        .order_by(versions.c.name, table.c.status)
    ).all()
    in_queue = session.execute(
        select(versions.c.name, func.count())
        .join(versions, versions.c.id == table.c.model_version_id)
        .where(table.c.queued_at.is_not(None))
        .group_by(versions.c.name)
    ).all()
    counts = [StatusCount(name, str(status), count) for name, status, count in by_status]
    counts += [StatusCount(name, "in queue", count) for name, count in in_queue]
    return counts


@dataclass(frozen=True, slots=True)
class ReasonCount:
    """How many summaries of one model version are failed or skipped for one reason."""

    model_version: str
    status: str
    reason: str
    count: int


def failure_reasons(session: Session, limit: int = 8) -> list[ReasonCount]:
    """The most common reasons of rows now ``failed`` or ``skipped``, most common first."""
    table = Summary.__table__
    versions = ModelVersion.__table__
    rows = session.execute(
        select(versions.c.name, table.c.status, table.c.reason, func.count().label("n"))
        .join(versions, versions.c.id == table.c.model_version_id)
        .where(table.c.status.in_([state.value for state in UNSUMMARIZED_STATES]))
        .group_by(versions.c.name, table.c.status, table.c.reason)
        .order_by(func.count().desc(), versions.c.name)
        .limit(limit)
    ).all()
    return [ReasonCount(name, str(status), reason or "(no reason)", int(n))
            for name, status, reason, n in rows]


@dataclass(frozen=True, slots=True)
class FindingCount:
    """How many summaries of one model version waiting for review have one finding kind."""

    model_version: str
    kind: str
    count: int


def finding_kinds(session: Session) -> list[FindingCount]:
    """Finding kinds of the summaries now ``needs_review``, per version, most common first.

    Each summary counts once per kind it has, however many values of that kind.
    """
    table = Summary.__table__
    versions = ModelVersion.__table__
    rows = session.execute(
        select(versions.c.name, table.c.findings)
        .join(versions, versions.c.id == table.c.model_version_id)
        .where(table.c.status == SummaryStatus.NEEDS_REVIEW.value)
        .execution_options(yield_per=1000)
    )
    counts: dict[tuple[str, str], int] = {}
    for name, findings in rows:
        for kind in {str(finding.get("kind")) for finding in findings or []}:
            counts[name, kind] = counts.get((name, kind), 0) + 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [FindingCount(name, kind, count) for (name, kind), count in ordered]


def get_summary(session: Session, article_id: int, model_version_id: int) -> Summary | None:
    """The summary row of one article for one model version, if any."""
    return session.scalars(
        select(Summary).where(
            Summary.article_id == article_id, Summary.model_version_id == model_version_id
        )
    ).one_or_none()


def recent_throughput(session: Session, window: timedelta = timedelta(minutes=5)) -> float:
    """Summaries finished per second over the last ``window``."""
    since = utcnow() - window
    done = session.scalar(
        select(func.count())
        .select_from(Summary)
        .where(Summary.status == SummaryStatus.DONE, Summary.updated_at >= since)
    )
    return (done or 0) / window.total_seconds()
