"""One generation batch: read the articles, decide what to generate, generate, write back.

Celery-free, so that the benchmark and the tests can run a batch directly. For each
model version named in the batch: the articles are read in one query; an unknown id or an
empty text is recorded as ``skipped`` with its reason; a summary an editor approved or
edited is left as it is (unless the message says ``override_review``); an article that
already has a summary of the same text by the same version is left as it is (unless forced);
the rest is generated in one :func:`~newsum.modeling.generation.summarize_batch` call
(which groups similar lengths itself, checks every summary and retries those that fail)
and the results are upserted together, each published or held by the verdict generation
gave it, a failure as that article's ``failed`` row.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from billiard.exceptions import SoftTimeLimitExceeded
from sqlalchemy import Engine, Table, select

from newsum.broker.message import SummarizeMessage
from newsum.config import FaithfulnessPolicy, Settings
from newsum.db.engine import transaction
from newsum.db.events import EventKind, record_event
from newsum.db.models import (
    PROTECTED_STATES,
    SETTLED_STATES,
    Summary,
    SummaryStatus,
)
from newsum.db.queries import (
    ArticleRow,
    SummaryRecord,
    fetch_articles,
    release_claims,
    upsert_summaries,
)
from newsum.errors import NewsumError
from newsum.modeling.faithfulness import FindingKind, Verdict
from newsum.modeling.timings import PhaseTimes
from newsum.worker.checking import batch_checker
from newsum.worker.runtime import ModelRuntime, ServedVersion, version_by_id

if TYPE_CHECKING:
    from newsum.modeling.generation import GeneratedSummary

log = logging.getLogger(__name__)

# The worker's own stop signals: generation ends the batch on them instead of recording
# them per article or retrying article by article (the task records the batch).
STOP_EXCEPTIONS: tuple[type[BaseException], ...] = (SoftTimeLimitExceeded,)

# What the lenient policy publishes despite: a summary of an odd length, facts intact.
LENIENT_TOLERATES = frozenset({FindingKind.TOO_SHORT.value, FindingKind.TOO_LONG.value})

UNKNOWN_ARTICLE = "unknown article id"
EMPTY_TEXT = "empty article text"


@dataclass
class BatchOutcome:
    """What one batch did, counted by final state, and where its time went."""

    done: int = 0
    needs_review: int = 0
    failed: int = 0
    skipped: int = 0
    current: int = 0
    rejected: int = 0
    reasons: list[str] = field(default_factory=list)
    timings: PhaseTimes = field(default_factory=PhaseTimes)

    def add(self, other: BatchOutcome) -> None:
        self.done += other.done
        self.needs_review += other.needs_review
        self.failed += other.failed
        self.skipped += other.skipped
        self.current += other.current
        self.rejected += other.rejected
        self.reasons += other.reasons
        self.timings.add(other.timings)


def summarize_requests(
    requests: Sequence[SummarizeMessage],
    *,
    engine: Engine,
    articles: Table,
    runtime: ModelRuntime,
    settings: Settings,
) -> BatchOutcome:
    """Process a batch of valid requests, grouped by model version.

    Database and broker faults propagate (the caller retries the batch); everything else
    ends as a recorded state of the article it concerns. The outcome's ``timings`` hold
    the seconds of ``read`` (versions, articles and their summaries), ``load`` (model
    and check), generation's phases and ``write``.
    """
    outcome = BatchOutcome()
    by_version: dict[int, list[SummarizeMessage]] = {}
    for request in requests:
        by_version.setdefault(request.model_version_id, []).append(request)
    for version_id, group in by_version.items():
        try:
            with outcome.timings.phase("read"):
                version = version_by_id(engine, version_id, settings)
        except NewsumError as exc:
            # No summary row can name a version that does not exist: log and drop.
            log.error("rejected %d message(s): %s", len(group), exc)
            outcome.rejected += len(group)
            continue
        outcome.add(_summarize_version(group, version, engine, articles, runtime, settings))
    return outcome


@dataclass
class _Plan:
    records: list[SummaryRecord] = field(default_factory=list)
    current: list[int] = field(default_factory=list)
    generate: list[ArticleRow] = field(default_factory=list)
    override_review: set[int] = field(default_factory=set)


def _plan(
    group: Sequence[SummarizeMessage], version: ServedVersion, engine: Engine, articles: Table
) -> _Plan:
    """Sort a version's requests into skipped, already current and to generate.

    An editor's approved or edited summary is current whatever the message says, unless
    the message asks for ``override_review``.
    """
    forced = {r.article_id for r in group if r.force}
    overriding = {r.article_id for r in group if r.override_review}
    ids = list(dict.fromkeys(r.article_id for r in group))
    table = Summary.__table__
    with transaction(engine) as session:
        found = fetch_articles(session, articles, ids)
        rows = {
            article_id: (SummaryStatus(status), content_hash)
            for article_id, status, content_hash in session.execute(
                select(table.c.article_id, table.c.status, table.c.content_hash).where(
                    table.c.model_version_id == version.id, table.c.article_id.in_(ids)
                )
            )
        }
    plan = _Plan(override_review=overriding)
    for article_id in ids:
        article = found.get(article_id)
        status, summarised_hash = rows.get(article_id, (None, None))
        protected = status in PROTECTED_STATES
        settled = status in SETTLED_STATES or (protected and article_id in overriding)
        if protected and article_id not in overriding:
            plan.current.append(article_id)
        elif article is None:
            plan.records.append(_skipped(article_id, version.id, UNKNOWN_ARTICLE, None))
        elif not (article.body or "").strip():
            plan.records.append(_skipped(article_id, version.id, EMPTY_TEXT, article))
        elif article_id not in forced and settled and summarised_hash == article.content_hash:
            plan.current.append(article_id)
        else:
            plan.generate.append(article)
    plan.records = [_overriding(record, plan) for record in plan.records]
    return plan


def _overriding(record: SummaryRecord, plan: _Plan) -> SummaryRecord:
    """``record``, allowed to replace an editor's work when its message asked for it."""
    if record.article_id in plan.override_review:
        return dataclasses.replace(record, override_review=True)
    return record


def _skipped(
    article_id: int, version_id: int, reason: str, article: ArticleRow | None
) -> SummaryRecord:
    return SummaryRecord(
        article_id=article_id,
        model_version_id=version_id,
        status=SummaryStatus.SKIPPED,
        reason=reason,
        content_hash=article.content_hash if article else None,
        article_updated_at=article.updated_at if article else None,
    )


def _result_record(
    article: ArticleRow,
    version_id: int,
    result: GeneratedSummary | Exception,
    policy: FaithfulnessPolicy,
) -> SummaryRecord:
    """The row for one generation result: failed, or done or held by the verdict
    generation gave it (the check that publishes, see :func:`_generate_for_plan`)."""
    verdict = None if isinstance(result, Exception) else result.verdict
    if isinstance(result, Exception) or verdict is None:
        # Given a checker, generation checks every summary it returns: one without a
        # verdict would be a fault, and nothing unchecked is published.
        reason = (f"{type(result).__name__}: {result}" if isinstance(result, Exception)
                  else "generation returned the summary unchecked")[:2000]
        return SummaryRecord(
            article_id=article.id, model_version_id=version_id, status=SummaryStatus.FAILED,
            reason=reason, content_hash=article.content_hash,
            article_updated_at=article.updated_at,
        )
    return SummaryRecord(
        article_id=article.id,
        model_version_id=version_id,
        status=SummaryStatus.DONE if publishable(verdict, policy) else SummaryStatus.NEEDS_REVIEW,
        text=result.text,
        findings=[finding.as_dict() for finding in verdict.findings] or None,
        faithfulness_score=verdict.score,
        content_hash=article.content_hash,
        article_updated_at=article.updated_at,
        input_tokens=result.input_tokens,
        output_tokens=result.output_tokens,
        latency_ms=result.latency_ms,
    )


def publishable(verdict: Verdict, policy: FaithfulnessPolicy) -> bool:
    """Whether a checked summary may be published as ``done`` under ``policy``.

    ``strict``: only a summary with no finding at all. ``lenient``: length findings are
    tolerated (kept on the row); any unsupported fact, wrong language, echo, injection or
    repetition still holds the summary for review.
    """
    tolerated = LENIENT_TOLERATES if policy == "lenient" else frozenset()
    return all(finding.kind in tolerated for finding in verdict.findings)


def _generate_for_plan(
    plan: _Plan, version: ServedVersion, runtime: ModelRuntime, settings: Settings,
    engine: Engine, timings: PhaseTimes,
) -> list[GeneratedSummary | Exception]:
    """Results for ``plan.generate``, each with the verdict of the check that publishes;
    a model that cannot load fails each article."""
    from newsum.modeling.generation import summarize_batch

    with timings.phase("load"):
        try:
            loaded = runtime.model_for(version)
        except (NewsumError, OSError, ValueError, RuntimeError) as exc:
            log.error("cannot load model version %s: %s", version.name, exc)
            record_event(engine, EventKind.MODEL_LOAD_FAILED, f"{version.name}: {exc}",
                         count=len(plan.generate))
            failure = RuntimeError(f"model version {version.name} could not be loaded: {exc}")
            return [failure] * len(plan.generate)
        try:
            # Before generating: a summary that cannot be checked as configured is not made.
            checker = batch_checker(loaded, runtime, engine, settings)
        except (NewsumError, OSError, ValueError, RuntimeError) as exc:
            name = settings.faithfulness_model
            log.error("cannot load faithfulness model %s: %s", name, exc)
            record_event(engine, EventKind.MODEL_LOAD_FAILED,
                         f"faithfulness model {name}: {exc}", count=len(plan.generate))
            failure = RuntimeError(f"faithfulness model {name} could not be loaded: {exc}")
            return [failure] * len(plan.generate)
    pairs = [(article.title, article.body or "") for article in plan.generate]
    # Generation checks every summary with the very checker that publishes (the rules of
    # this version's manifest, and the entailment model at the threshold in force), adds
    # the model's own doubt, and retries what fails; its verdict is what the worker
    # publishes by, as the evaluation reports it. Checking again here would only repeat it.
    return summarize_batch(
        loaded, pairs, batch_size=settings.batch_size, stop_on=STOP_EXCEPTIONS,
        checker=checker, languages=[article.language for article in plan.generate],
        timings=timings,
    )


def _summarize_version(
    group: Sequence[SummarizeMessage],
    version: ServedVersion,
    engine: Engine,
    articles: Table,
    runtime: ModelRuntime,
    settings: Settings,
) -> BatchOutcome:
    outcome = BatchOutcome()
    with outcome.timings.phase("read"):
        plan = _plan(group, version, engine, articles)
    records = list(plan.records)
    if plan.generate:
        results = _generate_for_plan(plan, version, runtime, settings, engine, outcome.timings)
        records += [
            _overriding(
                _result_record(article, version.id, result, settings.faithfulness_policy), plan
            )
            for article, result in zip(plan.generate, results, strict=True)
        ]
    with outcome.timings.phase("write"), transaction(engine) as session:
        # A row an editor reviewed since the plan was made refuses the write.
        refused = {record.article_id for record in upsert_summaries(session, records)}
        if plan.current:
            # Already summarised from this very text, or settled by an editor: keep the
            # row, drop the queue claim.
            release_claims(session, plan.current, version.id)
    outcome.current = len(plan.current) + len(refused)
    for record in records:
        if record.article_id in refused:
            continue
        if record.status is SummaryStatus.DONE:
            outcome.done += 1
        elif record.status is SummaryStatus.NEEDS_REVIEW:
            outcome.needs_review += 1
        elif record.status is SummaryStatus.FAILED:
            outcome.failed += 1
            outcome.reasons.append(f"{record.article_id}: {record.reason}")
        else:
            outcome.skipped += 1
    return outcome
