"""The review page's queue: editors signed in with their own accounts clear it here.

Server-rendered Jinja2 pages with autoescaping (:mod:`newsum.review.render`), no script or
style from anywhere but the page itself. The queue is on the left; the article and its
summary side by side on the right, the names and figures the article does not support
marked in the summary. Every action goes through
:func:`newsum.review.actions.review_summary`, as the JSON review API's do, recorded with
the channel ``page`` and the session's id.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from newsum.db.models import REVIEWABLE_STATES, ReviewAction, ReviewChannel, SummaryStatus
from newsum.db.registry import find_model_version
from newsum.db.review import MAX_SUMMARY_ID, ReviewFilters, ReviewItem, review_item, review_queue
from newsum.errors import NewsumError
from newsum.review.actions import ReviewRequest, review_summary
from newsum.review.marking import marked_segments
from newsum.review.render import PREFIX, render_page
from newsum.review.session import CsrfChecked, CurrentEditor, flash, take_flash
from newsum.web.state import ApiState

QUEUE_PAGE_SIZE = 50
SummaryId = Annotated[int, Path(ge=1, le=MAX_SUMMARY_ID)]

router = APIRouter()


@dataclass(frozen=True)
class QueueView:
    """The queue's filters as the page's links and forms carry them."""

    status: SummaryStatus
    section: str | None
    language: str | None
    model_version: str | None

    def query(self, **extra: object) -> str:
        values = {"status": self.status.value, "section": self.section,
                  "language": self.language, "model_version": self.model_version, **extra}
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})


def _queue_view(status: SummaryStatus, section: str | None, language: str | None,
                model_version: str | None) -> QueueView:
    """The filters, an empty field of the filter form meaning no filter."""
    return QueueView(status, section or None, language or None, model_version or None)


def _filters(state: ApiState, view: QueueView, **changes: Any) -> ReviewFilters:
    version_id = None
    if view.model_version:
        with state.sessions() as session:
            version_id = find_model_version(session, view.model_version).id
    return ReviewFilters(status=view.status, section=view.section, language=view.language,
                         model_version_id=version_id, **changes)


@router.get("/", response_class=HTMLResponse)
def queue_page(
    request: Request,
    editor: CurrentEditor,
    status: Annotated[SummaryStatus, Query()] = SummaryStatus.NEEDS_REVIEW,
    section: Annotated[str | None, Query(max_length=100)] = None,
    language: Annotated[str | None, Query(max_length=16)] = None,
    model_version: Annotated[str | None, Query(max_length=200)] = None,
    selected_id: Annotated[int | None, Query(alias="id", ge=1, le=MAX_SUMMARY_ID)] = None,
) -> Response:
    """The queue and the selected summary beside its article."""
    state: ApiState = request.app.state.review
    view = _queue_view(status, section, language, model_version)
    problem = None
    try:
        filters = _filters(state, view, limit=QUEUE_PAGE_SIZE)
    except NewsumError as exc:
        filters, problem = ReviewFilters(status=view.status, limit=QUEUE_PAGE_SIZE), str(exc)
    with state.sessions() as session:
        items = review_queue(session, state.articles, filters)
        if selected_id is None and items:
            selected_id = items[0].summary_id
        selected = review_item(session, state.articles, selected_id) if selected_id else None
    return render_page(
        request, "review/queue.html", editor=editor, view=view, items=items,
        selected=selected, neighbours=_neighbours(items, selected),
        segments=marked_segments(selected.text or "", selected.findings) if selected else [],
        flash=take_flash(request), problem=problem, statuses=list(SummaryStatus),
        actionable=selected is not None and selected.status in REVIEWABLE_STATES,
    )


def _neighbours(items: list[ReviewItem], selected: ReviewItem | None) -> dict[str, int | None]:
    ids = [item.summary_id for item in items]
    if selected is None or selected.summary_id not in ids:
        return {"prev": None, "next": ids[0] if ids else None}
    at = ids.index(selected.summary_id)
    return {"prev": ids[at - 1] if at > 0 else None,
            "next": ids[at + 1] if at + 1 < len(ids) else None}


@router.post("/summaries/{summary_id}/{action}", dependencies=[CsrfChecked])
def act(
    request: Request,
    editor: CurrentEditor,
    summary_id: SummaryId,
    action: ReviewAction,
    expected_text: Annotated[str, Form(max_length=10_000)] = "",
    text: Annotated[str, Form(max_length=10_000)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    regenerate: Annotated[bool, Form()] = False,
    status: Annotated[SummaryStatus, Query()] = SummaryStatus.NEEDS_REVIEW,
    section: Annotated[str | None, Query(max_length=100)] = None,
    language: Annotated[str | None, Query(max_length=16)] = None,
    model_version: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Approve, edit or reject one summary as the signed-in editor; then the next one."""
    state: ApiState = request.app.state.review
    view = _queue_view(status, section, language, model_version)
    with state.sessions() as session:
        item = review_item(session, state.articles, summary_id)
    if item is None:
        flash(request, f"Summary {summary_id} no longer exists.")
        return RedirectResponse(f"{PREFIX}/?{view.query()}", status_code=303)
    try:
        outcome = review_summary(
            ReviewRequest(
                article_id=item.article_id, action=action, editor=editor.name,
                channel=ReviewChannel.PAGE, credential_id=editor.session_id,
                model_version=item.model_version_id, text=text or None, note=note or None,
                regenerate=regenerate and action is ReviewAction.REJECT,
                expected_text=expected_text,
            ),
            settings=state.settings, engine=state.engine, articles=state.articles,
        )
    except NewsumError as exc:
        flash(request, f"Not saved: {exc}")
        return RedirectResponse(f"{PREFIX}/?{view.query(id=summary_id)}", status_code=303)
    flash(request, _done_message(item, outcome.status, outcome.regenerate_queued,
                                 outcome.regenerate_problem),
          outcome.findings if action is ReviewAction.EDIT else None)
    return RedirectResponse(f"{PREFIX}/?{view.query(id=_next_id(state, view, summary_id))}",
                            status_code=303)


def _done_message(item: ReviewItem, status: SummaryStatus, queued: bool,
                  problem: str | None) -> str:
    message = f"Article {item.article_id}: {status.value}."
    if queued:
        message += " A new summary is queued."
    if problem:
        message += f" {problem}"
    return message


def _next_id(state: ApiState, view: QueueView, summary_id: int) -> int | None:
    """The item after ``summary_id`` in the queue, else its first (None when empty)."""
    try:
        filters = _filters(state, view, limit=1)
    except NewsumError:
        return None
    with state.sessions() as session:
        after = review_queue(session, state.articles, replace(filters, after=summary_id))
        first = after or review_queue(session, state.articles, filters)
    return first[0].summary_id if first else None
