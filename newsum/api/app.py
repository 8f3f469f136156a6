"""The small HTTP API the CMS calls: enqueue an article, read its summary, health, metrics.

:mod:`newsum.server` serves it in one app with the editors' review (:mod:`newsum.review`).

Every route but ``/healthz`` and the review page needs the shared secret (see
:mod:`newsum.api.auth`); without one configured the app refuses to be built. An article
id the CMS's table does not hold is answered 404 at once, instead of being queued only to
end ``skipped`` (an article deleted after that check still ends ``skipped: unknown article
id`` through the worker).
Routes are plain ``def``: they do blocking database and broker I/O, which FastAPI runs in
its thread pool; the broker client fails within seconds when Redis is down, giving 503.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Table, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from newsum.api.metrics import render
from newsum.broker.enqueue import enqueue
from newsum.broker.redis import redis_client
from newsum.config import is_redis_url
from newsum.db.engine import check_connection
from newsum.db.models import PUBLISHABLE
from newsum.db.queries import get_summary
from newsum.db.registry import resolve_model_version
from newsum.errors import (
    BrokerUnavailable,
    DatabaseUnavailable,
    NewsumError,
    NoActiveModelVersion,
    ReviewConflict,
    ReviewInvalid,
    SummaryNotFound,
    UnknownEditor,
    UnknownModelVersion,
)
from newsum.web.schemas import ArticleId, FindingView
from newsum.web.state import State

log = logging.getLogger(__name__)

HEALTH_TIMEOUT_S = 2.0

VersionName = Annotated[
    str | None,
    Query(max_length=200, description="A model version name; the active one when omitted."),
]


class SummarizeBody(BaseModel):
    """Optional JSON body of a summarize request (the query string works as well)."""

    model_config = ConfigDict(extra="forbid")

    force: bool = Field(False, description="Summarise again even if a current summary exists.")
    model_version: str | None = Field(None, max_length=200, description="Target version.")


class SummarizeAccepted(BaseModel):
    """Answer to a summarize request: whether this call put the id on the queue."""

    article_id: int
    model_version: str
    queued: bool = Field(description="False when the id was already queued or in flight.")


class SummaryView(BaseModel):
    """One article's summary by one model version, and where it stands.

    The CMS shows readers ``text`` only when ``publishable`` is true (status ``done``,
    ``approved`` or ``edited``): a ``needs_review`` summary did not pass the faithfulness
    check and waits for an editor; ``approved`` is that text passed by an editor as
    written, ``edited`` the editor's own text (its ``findings`` are the check's on it,
    kept for the record); ``rejected`` means no summary from this version.
    """

    article_id: int
    model_version: str
    status: str = Field(
        description="queued, done, needs_review, approved, edited, rejected, failed or skipped."
    )
    publishable: bool = Field(
        description="True only for a summary readers may see (done, approved, edited)."
    )
    text: str | None
    findings: list[FindingView] = Field(
        description="Why a summary needs review: what its article does not support."
    )
    reason: str | None = Field(description="Why it failed or was skipped.")
    in_queue: bool = Field(description="True while the id waits in the queue or is in flight.")
    updated_at: datetime


router = APIRouter()


@router.post(
    "/articles/{article_id}/summarize", status_code=202, response_model=SummarizeAccepted
)
def summarize_article(
    article_id: ArticleId,
    state: State,
    force: Annotated[bool, Query(description="Summarise again even if current.")] = False,
    model_version: VersionName = None,
    body: Annotated[SummarizeBody | None, Body()] = None,
) -> SummarizeAccepted:
    """Queue one article for summarising (202); 404 when the CMS has no such article."""
    body = body or SummarizeBody()
    with state.sessions() as session:
        version = resolve_model_version(session, body.model_version or model_version or None)
        _require_article(session, state.articles, article_id)
    result = enqueue(
        [article_id],
        settings=state.settings,
        model_version=version.name,
        force=force or body.force,
    )
    return SummarizeAccepted(
        article_id=article_id, model_version=version.name, queued=article_id in result.queued
    )


@router.get("/articles/{article_id}/summary", response_model=SummaryView)
def read_summary(
    article_id: ArticleId, state: State, model_version: VersionName = None
) -> SummaryView:
    """The article's summary and state for the active (or named) model version."""
    with state.sessions() as session:
        version = resolve_model_version(session, model_version or None)
        row = get_summary(session, article_id, version.id)
    if row is None:
        raise HTTPException(
            404, f"newsum has no record of article {article_id} for model version {version.name}"
        )
    return SummaryView(
        article_id=article_id,
        model_version=version.name,
        status=str(row.status),
        publishable=row.status in PUBLISHABLE,
        text=row.text,
        findings=[FindingView(**finding) for finding in row.findings or []],
        reason=row.reason,
        in_queue=row.queued_at is not None,
        updated_at=row.updated_at,
    )


@router.get("/healthz")
def healthz(state: State) -> JSONResponse:
    """Database and broker reachability (no auth); 503 when either is down."""
    checks = {
        "database": _reachable(lambda: check_connection(state.engine)),
        "broker": _reachable(lambda: _ping_broker(state.settings.broker_url)),
    }
    healthy = all(checks.values())
    return JSONResponse(
        {"status": "ok" if healthy else "degraded", **checks},
        status_code=200 if healthy else 503,
    )


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus text: queue depth, in flight, summaries by version and state."""
    from prometheus_client import CONTENT_TYPE_LATEST

    return Response(render(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)


def _require_article(session: Session, articles: Table, article_id: int) -> None:
    found = session.execute(select(articles.c.id).where(articles.c.id == article_id)).first()
    if found is None:
        raise HTTPException(404, f"the article table has no article {article_id}")


def _reachable(check: Callable[[], None]) -> bool:
    """Run a check; report whether it passed (the reason goes to the log, not the client)."""
    try:
        check()
    except Exception as exc:  # a health check reports any failure as "down"
        log.warning("healthz: %s", _describe(exc))
        return False
    return True


def _ping_broker(broker_url: str) -> None:
    if is_redis_url(broker_url):
        client = redis_client(broker_url, HEALTH_TIMEOUT_S)
        try:
            client.ping()
        finally:
            client.close()
        return
    from kombu import Connection

    with Connection(broker_url, connect_timeout=HEALTH_TIMEOUT_S) as connection:
        connection.ensure_connection(max_retries=1, timeout=HEALTH_TIMEOUT_S)


def _describe(exc: BaseException) -> str:
    """One line about a failure for the log; newsum's errors already mask URL passwords."""
    if isinstance(exc, NewsumError):
        return str(exc)
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        # The driver's own message ("no such table", "connection refused"), no SQL text.
        lines = str(exc.orig).strip().splitlines()
        return f"{type(exc.orig).__name__}: {lines[0] if lines else ''}"
    return type(exc).__name__


async def _invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    """422 naming what is wrong and where, without echoing the input back.

    FastAPI's own handler echoes the input, and fails (500) on a body that is not UTF-8.
    """
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = [
        {"loc": [str(part) for part in error.get("loc", ())], "msg": str(error.get("msg", "")),
         "type": str(error.get("type", ""))}
        for error in errors
    ]
    return JSONResponse({"detail": detail}, status_code=422)


def add_error_handlers(app: FastAPI) -> None:
    """Turn the failures a client can act on into clear 4xx/5xx answers, never a 500."""

    def handler(status: int, detail: str | None = None, retry: bool = False) -> Any:
        async def respond(_request: Request, exc: Exception) -> JSONResponse:
            if status >= 500:
                log.warning("%s: %s", type(exc).__name__, _describe(exc))
            headers = {"Retry-After": "5"} if retry else None
            return JSONResponse({"detail": detail or str(exc)}, status, headers=headers)

        return respond

    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(NoActiveModelVersion, handler(409))
    app.add_exception_handler(UnknownModelVersion, handler(404))
    app.add_exception_handler(UnknownEditor, handler(403))
    app.add_exception_handler(SummaryNotFound, handler(404))
    app.add_exception_handler(ReviewConflict, handler(409))
    app.add_exception_handler(ReviewInvalid, handler(422))
    app.add_exception_handler(
        BrokerUnavailable,
        handler(503, "the queue broker is unreachable; nothing was queued, retry later", True),
    )
    app.add_exception_handler(
        DatabaseUnavailable, handler(503, "the database is unreachable; retry later", True)
    )
    app.add_exception_handler(
        DBAPIError,
        handler(503, "the database or its article table cannot be read; retry later", True),
    )

