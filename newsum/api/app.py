"""The small HTTP API the CMS calls: enqueue an article, read its summary, health, metrics.

:mod:`newsum.server` serves it in one app with the editors' review (:mod:`newsum.review`).

The CMS's shared secret (see :mod:`newsum.api.auth`) queues and reads summaries and
nothing else; ``/metrics`` takes its own read-only token, ``/healthz`` none, and the
review (``/review``) takes editors' own credentials only. An article
id the CMS's table does not hold is answered 404 at once, instead of being queued only to
end ``skipped`` (an article deleted after that check still ends ``skipped: unknown article
id`` through the worker).
Routes are plain ``def``: they do blocking database and broker I/O, which FastAPI runs in
its thread pool. Every such wait is bounded by ``api_stall_timeout_s`` (pool, locks,
Redis replies), so a stalled Redis or PostgreSQL answers 503, never a hang or a 500.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from newsum.api.metrics import render
from newsum.broker.enqueue import enqueue
from newsum.db.models import PUBLISHABLE
from newsum.db.queries import get_summary
from newsum.db.registry import resolve_model_version
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
        engine=state.engine,
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
def healthz(request: Request) -> JSONResponse:
    """Database and broker reachability (no auth); 503 when either is down."""
    checks = request.app.state.health.check()
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
