"""The review page at /review: editors sign in with their own accounts and clear the queue.

A small app of its own, mounted by the API under ``/review``: its own cookie sessions
(see :mod:`newsum.review.session`), server-rendered Jinja2 pages with autoescaping,
no script or style from anywhere but the page itself. The queue is on the left; the
article and its summary side by side on the right, the names and figures the article
does not support marked in the summary. Every action goes through
:func:`newsum.review.actions.review_summary`, as the JSON review API's do.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, replace
from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp

from newsum.db.models import REVIEWABLE_STATES, ReviewAction, SummaryStatus
from newsum.db.registry import find_model_version
from newsum.db.review import ReviewFilters, ReviewItem, review_item, review_queue
from newsum.errors import NewsumError
from newsum.review.actions import ReviewRequest, review_summary
from newsum.review.logins import MAX_PASSWORD_LENGTH, LoginCheck
from newsum.review.marking import marked_segments
from newsum.review.session import (
    CsrfChecked,
    CsrfRefused,
    CurrentEditor,
    NotSignedIn,
    csrf_token,
    flash,
    page_headers,
    sign_in,
    sign_out,
    take_flash,
)
from newsum.web.state import ApiState

PREFIX = "/review"
QUEUE_PAGE_SIZE = 50
COOKIE = "newsum_review"
LOGIN_FAILED = "Unknown name or wrong password."

templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.PackageLoader("newsum.review", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
)
router = APIRouter()


@dataclass(frozen=True)
class PageState(ApiState):
    """The API's state plus the login check (its dummy hash is made once)."""

    login: LoginCheck | None = None


def review_app(state: ApiState) -> ASGIApp:
    """The page, or without ``review_secret_key`` an app that says it is switched off."""
    key = state.settings.review_secret_key
    if key is None:
        return PlainTextResponse(
            "the review page is off: set NEWSUM_REVIEW_SECRET_KEY (a long random string)"
            " and restart newsum api", status_code=503,
        )
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.review = PageState(**vars(state), login=LoginCheck(state.sessions))
    app.add_middleware(
        SessionMiddleware, secret_key=key.get_secret_value(), session_cookie=COOKIE,
        max_age=int(state.settings.review_session_hours * 3600), path=PREFIX,
        same_site="strict", https_only=state.settings.review_secure_cookie,
    )
    app.include_router(router)
    app.add_exception_handler(NotSignedIn, _to_login)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    return app


def _page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    nonce = secrets.token_urlsafe(16)
    response = templates.TemplateResponse(
        request, template, {"nonce": nonce, "csrf_token": csrf_token(request), "prefix": PREFIX,
                        **context},
        status_code=status_code,
    )
    response.headers.update(page_headers(nonce))
    return response


async def _to_login(_request: Request, _exc: Exception) -> Response:
    return RedirectResponse(f"{PREFIX}/login", status_code=303)


async def _csrf_refused(request: Request, _exc: Exception) -> Response:
    return _page(request, "review/message.html", status_code=403,
                 message="This form has expired or did not come from this page. Reload it.")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    """The sign-in form."""
    return _page(request, "review/login.html", error=None, name="")


@router.post("/login", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def login(
    request: Request,
    name: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)] = "",
) -> Response:
    """Sign in; a failure looks and lasts the same whether the name exists or not."""
    started = time.monotonic()
    state: PageState = request.app.state.review
    assert state.login is not None
    editor = await run_in_threadpool(state.login, name, password)
    # Waiting on the event loop, not in a thread: a flood of logins holds no threads.
    remaining = state.settings.review_login_delay_s - (time.monotonic() - started)
    await asyncio.sleep(max(0.0, remaining))
    if editor is None:
        return _page(request, "review/login.html", status_code=401, error=LOGIN_FAILED,
                     name=name)
    sign_in(request, editor)
    return RedirectResponse(f"{PREFIX}/", status_code=303)


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, _editor: CurrentEditor) -> Response:
    sign_out(request)
    return RedirectResponse(f"{PREFIX}/login", status_code=303)


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
    selected_id: Annotated[int | None, Query(alias="id", ge=1)] = None,
) -> Response:
    """The queue and the selected summary beside its article."""
    state: PageState = request.app.state.review
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
    return _page(
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
    summary_id: int,
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
    state: PageState = request.app.state.review
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
