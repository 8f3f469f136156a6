"""What an editor's action does, the same for the JSON review API and the review page.

One transaction locks the summary, applies the action and appends its audit record (with
the channel and credential the editor used). An edited text must be plain text (no HTML,
no links: see :mod:`newsum.review.plain_text`) and goes through the faithfulness check
first (with the model version's own length budget and prompt when its manifest is
registered); its findings are recorded and shown. The editor's text is stored either way:
``edited`` (published) when the check passes it, ``needs_review`` with its findings when
not, until the editor corrects it or approves it as it stands. A rejection
with ``regenerate`` puts the id back on the queue after the commit, through the same
claims as every other enqueue (with ``force``: the rejected text is current otherwise).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from pydantic import ValidationError
from sqlalchemy import Engine, Table
from sqlalchemy.orm import Session

from newsum.broker.enqueue import enqueue
from newsum.config import Settings
from newsum.db.editors import active_editor
from newsum.db.engine import transaction
from newsum.db.models import PUBLISHABLE, ModelVersion, ReviewAction, ReviewChannel, SummaryStatus
from newsum.db.queries import fetch_articles
from newsum.db.registry import resolve_model_version
from newsum.db.review import ReviewChange, apply_review, lock_summary
from newsum.errors import BrokerUnavailable, ReviewInvalid
from newsum.modeling.checking import summary_checker
from newsum.modeling.faithfulness import (
    ArticleText,
    FaithfulnessChecker,
    LengthBounds,
    RuleChecker,
)
from newsum.modeling.manifest import AdapterManifest
from newsum.review.plain_text import markup_problem

log = logging.getLogger(__name__)

MAX_SUMMARY_CHARS = 5000
MAX_NOTE_CHARS = 2000


@dataclass(frozen=True)
class ReviewRequest:
    """One editor action on the summary of one article by one model version."""

    article_id: int
    action: ReviewAction
    editor: str
    channel: ReviewChannel
    credential_id: str
    model_version: str | int | None = None  # name or id; the active version when None
    text: str | None = None
    regenerate: bool = False
    note: str | None = None
    expected_text: str | None = None


@dataclass(frozen=True)
class ReviewOutcome:
    """The summary after the action, and whether a regeneration was queued."""

    article_id: int
    model_version: str
    status: SummaryStatus
    text: str | None
    findings: list[dict[str, str]] = field(default_factory=list)
    record_id: int = 0
    regenerate_queued: bool = False
    regenerate_problem: str | None = None

    @property
    def publishable(self) -> bool:
        return self.status in PUBLISHABLE


def review_summary(
    request: ReviewRequest, *, settings: Settings, engine: Engine, articles: Table
) -> ReviewOutcome:
    """Apply ``request``; raises UnknownEditor, UnknownModelVersion, NoActiveModelVersion,
    SummaryNotFound, ReviewInvalid or ReviewConflict (nothing changed then)."""
    request = replace(request, text=clean_text(request.text),
                      expected_text=clean_text(request.expected_text))
    _check_request(request)
    with transaction(engine) as session:
        version = resolve_model_version(session, request.model_version)
        editor = active_editor(session, request.editor)
        summary = lock_summary(session, request.article_id, version.id)
        findings = None
        if request.action is ReviewAction.EDIT:
            findings = edit_findings(session, articles, version, request)
        record = apply_review(session, summary, ReviewChange(
            action=request.action, editor=editor, text=request.text, findings=findings,
            regenerate=request.regenerate, note=request.note,
            expected_text=request.expected_text, channel=request.channel.value,
            credential_id=request.credential_id,
        ))
        outcome = ReviewOutcome(
            article_id=request.article_id, model_version=version.name,
            status=SummaryStatus(summary.status), text=summary.text,
            findings=list(summary.findings or []), record_id=record.id,
        )
        version_id = version.id
    if not request.regenerate:
        return outcome
    return _regenerate(outcome, version_id, settings)


def _check_request(request: ReviewRequest) -> None:
    if request.action is ReviewAction.EDIT:
        text = request.text or ""
        if not text:
            raise ReviewInvalid("an edit needs the new summary text")
        if len(text) > MAX_SUMMARY_CHARS:
            raise ReviewInvalid(f"a summary holds at most {MAX_SUMMARY_CHARS} characters")
        problem = markup_problem(text)
        if problem:
            raise ReviewInvalid(problem)
    if request.regenerate and request.action is not ReviewAction.REJECT:
        raise ReviewInvalid("only a rejection can ask for a new summary")
    if request.note is not None and len(request.note) > MAX_NOTE_CHARS:
        raise ReviewInvalid(f"a note holds at most {MAX_NOTE_CHARS} characters")


def clean_text(text: str | None) -> str | None:
    """A text as a form or JSON body sent it, with the line breaks and edges newsum stores
    (browsers send every line break of a form as CRLF)."""
    if text is None:
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def edit_findings(
    session: Session, articles: Table, version: ModelVersion, request: ReviewRequest
) -> list[dict[str, str]]:
    """The faithfulness check's findings on the editor's text, against the article."""
    article = fetch_articles(session, articles, [request.article_id]).get(request.article_id)
    if article is None:
        return []  # the CMS deleted the article: nothing to check against
    verdict = version_checker(version).check(
        ArticleText(article.title or "", article.body or "", article.language),
        request.text or "",
    )
    return [finding.as_dict() for finding in verdict.findings]


def version_checker(version: ModelVersion) -> FaithfulnessChecker:
    """The check the worker applies to this version's summaries: its manifest's summary
    budget and prompt when registered, the defaults otherwise."""
    try:
        manifest = AdapterManifest.model_validate(version.manifest or {})
    except ValidationError:
        return RuleChecker(bounds=LengthBounds())
    return summary_checker(manifest)


def _regenerate(outcome: ReviewOutcome, version_id: int, settings: Settings) -> ReviewOutcome:
    """Queue the article again; the rejection stands even when the broker is down."""
    try:
        result = enqueue([outcome.article_id], settings=settings, model_version=version_id,
                         force=True)
    except BrokerUnavailable as exc:
        log.warning("review: rejection recorded, regeneration not queued: %s", exc)
        return replace(outcome, regenerate_problem="the queue is unreachable: reject again"
                     " with regenerate later, or queue it with `newsum enqueue --force`")
    # Already queued counts too: a message for it is on its way.
    return replace(outcome, regenerate_queued=bool(result.queued or result.already_queued))


