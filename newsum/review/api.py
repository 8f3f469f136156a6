"""The JSON review API under /review/api: the queue of summaries by state, and an editor's
approve, edit and reject, for a CMS that builds its own review screen.

Only an editor's own credential is accepted (see :mod:`newsum.review.credentials`): a
per-editor API token or the review page's session. The action is recorded in the audit
trail under that editor, with the channel and the credential's id; an ``editor`` field in
a body is ignored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from newsum.db.models import ReviewAction, SummaryStatus
from newsum.db.registry import find_model_version, resolve_model_version
from newsum.db.review import (
    MAX_PAGE_SIZE,
    MAX_SUMMARY_ID,
    ReviewFilters,
    review_queue,
    review_records,
)
from newsum.review.actions import MAX_NOTE_CHARS, MAX_SUMMARY_CHARS, ReviewRequest, review_summary
from newsum.review.credentials import Editor, EditorCredential
from newsum.review.session import csrf_token
from newsum.web.schemas import ArticleId, FindingView
from newsum.web.state import ApiState, State

router = APIRouter(tags=["review"])

IgnoredEditor = Annotated[str | None, Field(
    None, max_length=100, description="Ignored: an action is always the credential's editor's.")]
VersionField = Annotated[str | None, Field(
    None, max_length=200, description="Model version name; the active one when omitted.")]
Note = Annotated[str | None, Field(None, max_length=MAX_NOTE_CHARS,
                                   description="Why, in the editor's words (kept in the audit).")]
Expected = Annotated[str | None, Field(
    None, max_length=MAX_SUMMARY_CHARS,
    description="The text the editor reviewed; 409 if the summary changed since.")]


class ReviewItemView(BaseModel):
    """A summary in the review queue, with what its article is about."""

    article_id: int
    model_version: str
    status: str
    text: str | None
    findings: list[FindingView] = Field(description="What the faithfulness check found.")
    title: str | None
    section: str | None
    language: str | None
    updated_at: datetime
    cursor: int = Field(description="Pass as `after` to get the items after this one.")


class ReviewPage(BaseModel):
    items: list[ReviewItemView]
    next_after: int | None = Field(description="`after` for the next page; null at the end.")


class ApproveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    editor: IgnoredEditor = None
    model_version: VersionField = None
    expected_text: Expected = None
    note: Note = None


class EditBody(ApproveBody):
    text: str = Field(min_length=1, max_length=MAX_SUMMARY_CHARS,
                      description="The editor's summary; stored as written, checked first.")


class RejectBody(ApproveBody):
    regenerate: bool = Field(False, description="Queue the article for a new summary.")


class ReviewResult(BaseModel):
    """The summary after an editor's action."""

    article_id: int
    model_version: str
    status: str = Field(description="approved, edited or rejected.")
    publishable: bool
    text: str | None
    findings: list[FindingView] = Field(
        description="For an edit: what the check found in the editor's text (stored anyway)."
    )
    review_id: int = Field(description="The audit record of this action.")
    regenerate_queued: bool
    regenerate_problem: str | None


class ReviewRecordView(BaseModel):
    """One entry of the audit trail."""

    id: int
    created_at: datetime
    editor: str
    model_version_id: int
    action: str
    status_before: str
    status_after: str
    text_before: str | None
    text_after: str | None
    findings_before: list[FindingView]
    findings_after: list[FindingView]
    regenerate: bool
    note: str | None
    channel: str | None = Field(description="page or token; empty on older records.")
    credential_id: str | None = Field(description="The session's or the API token's id.")


class WhoAmI(BaseModel):
    """The editor a credential belongs to (and, for a session, its CSRF token)."""

    editor: str
    channel: str
    credential_id: str
    csrf_token: str | None = Field(description="Send as X-CSRF-Token with a session's POSTs.")


@router.get("/session", response_model=WhoAmI)
def who_am_i(request: Request, editor: Editor) -> WhoAmI:
    """Which editor this credential acts as."""
    token = csrf_token(request) if editor.channel == "page" else None
    return WhoAmI(editor=editor.editor, channel=editor.channel,
                  credential_id=editor.credential_id, csrf_token=token)


@router.get("/summaries", response_model=ReviewPage)
def list_summaries(
    state: State,
    _editor: Editor,
    status: Annotated[SummaryStatus, Query()] = SummaryStatus.NEEDS_REVIEW,
    section: Annotated[str | None, Query(max_length=100)] = None,
    language: Annotated[str | None, Query(max_length=16)] = None,
    model_version: Annotated[str | None, Query(max_length=200)] = None,
    after: Annotated[int | None, Query(ge=0, le=MAX_SUMMARY_ID,
                                       description="Cursor of the last item seen.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> ReviewPage:
    """Summaries in one state (needs_review by default), oldest first, a page at a time."""
    with state.sessions() as session:
        version_id = find_model_version(session, model_version).id if model_version else None
        items = review_queue(session, state.articles, ReviewFilters(
            status=status, section=section, language=language, model_version_id=version_id,
            after=after, limit=limit,
        ))
    views = [
        ReviewItemView(
            article_id=item.article_id, model_version=item.model_version, status=item.status,
            text=item.text, findings=[FindingView(**f) for f in item.findings], title=item.title,
            section=item.section, language=item.language, updated_at=item.updated_at,
            cursor=item.summary_id,
        )
        for item in items
    ]
    return ReviewPage(items=views, next_after=views[-1].cursor if len(views) == limit else None)


@router.post("/articles/{article_id}/summary/approve", response_model=ReviewResult)
def approve(article_id: ArticleId, body: ApproveBody, state: State,
            editor: Editor) -> ReviewResult:
    """Publish the summary as written (``approved``); workers never overwrite it."""
    return _act(state, editor, article_id, ReviewAction.APPROVE, body)


@router.post("/articles/{article_id}/summary/edit", response_model=ReviewResult)
def edit(article_id: ArticleId, body: EditBody, state: State, editor: Editor) -> ReviewResult:
    """Publish the editor's text (``edited``), with the check's findings on it."""
    return _act(state, editor, article_id, ReviewAction.EDIT, body, text=body.text)


@router.post("/articles/{article_id}/summary/reject", response_model=ReviewResult)
def reject(article_id: ArticleId, body: RejectBody, state: State,
           editor: Editor) -> ReviewResult:
    """No summary from this version (``rejected``); optionally queue a new one."""
    return _act(state, editor, article_id, ReviewAction.REJECT, body,
                regenerate=body.regenerate)


@router.get("/articles/{article_id}/summary/reviews", response_model=list[ReviewRecordView])
def reviews(
    article_id: ArticleId,
    state: State,
    _editor: Editor,
    model_version: Annotated[str | None, Query(max_length=200)] = None,
) -> list[ReviewRecordView]:
    """The audit trail of the article's summary, oldest first."""
    with state.sessions() as session:
        version = resolve_model_version(session, model_version or None)
        records = review_records(session, article_id, version.id)
        return [
            ReviewRecordView(
                id=r.id, created_at=r.created_at, editor=r.editor.name,
                model_version_id=r.model_version_id, action=str(r.action),
                status_before=r.status_before, status_after=r.status_after,
                text_before=r.text_before, text_after=r.text_after,
                findings_before=[FindingView(**f) for f in r.findings_before or []],
                findings_after=[FindingView(**f) for f in r.findings_after or []],
                regenerate=r.regenerate, note=r.note, channel=r.channel,
                credential_id=r.credential_id,
            )
            for r in records
        ]


def _act(
    state: ApiState, editor: EditorCredential, article_id: int, action: ReviewAction,
    body: ApproveBody, *, text: str | None = None, regenerate: bool = False,
) -> ReviewResult:
    outcome = review_summary(
        ReviewRequest(
            article_id=article_id, action=action, editor=editor.editor,
            channel=editor.channel, credential_id=editor.credential_id,
            model_version=body.model_version, text=text, regenerate=regenerate,
            note=body.note, expected_text=body.expected_text,
        ),
        settings=state.settings, engine=state.engine, articles=state.articles,
    )
    return ReviewResult(
        article_id=outcome.article_id, model_version=outcome.model_version,
        status=str(outcome.status), publishable=outcome.publishable, text=outcome.text,
        findings=[FindingView(**f) for f in outcome.findings], review_id=outcome.record_id,
        regenerate_queued=outcome.regenerate_queued,
        regenerate_problem=outcome.regenerate_problem,
    )
