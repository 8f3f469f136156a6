"""The HTTP server: the CMS's API (:mod:`newsum.api`) and the editors' review
(:mod:`newsum.review`) in one ASGI app (``newsum api`` serves it).

The two surfaces share only the process's state (:mod:`newsum.web`); each keeps its own
credentials, so neither reads the other to change them: the CMS's secret on the CMS
routes, the metrics token on ``/metrics``, editors' own sessions and tokens on the review.

Every wait of a request is bounded by ``api_stall_timeout_s``: the API runs with its own
view of the settings (broker connect and read timeouts of that length, one publish
retry) and its own engine (pool wait and lock timeout of that length, statements up to
three times it), and the thread pool holds as many threads as requests may be in flight.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI

from newsum import __version__
from newsum.api.app import router as cms_router
from newsum.api.auth import RequestAuthenticator, seen_signatures_for
from newsum.api.guard import MAX_BODY_BYTES, MetricsAuthenticator, RequestGuard
from newsum.api.health import HealthProbe
from newsum.api.metrics import NewsumCollector, metrics_registry
from newsum.config import Settings, secret_problem
from newsum.db.engine import make_engine, session_factory
from newsum.db.models import articles_table
from newsum.errors import ApiMisconfigured
from newsum.review.app import review_app
from newsum.review.render import PREFIX as REVIEW_PREFIX
from newsum.web.errors import add_error_handlers
from newsum.web.state import ApiState

# Statements may take this many times the stall timeout (a real query, not a wait).
STATEMENT_TIMEOUT_FACTOR = 3


def api_settings(settings: Settings) -> Settings:
    """``settings`` as the API uses them: every broker wait bounded by the stall timeout."""
    stall = settings.api_stall_timeout_s
    return settings.model_copy(update={
        "broker_connect_timeout_s": stall, "broker_read_timeout_s": stall,
        "broker_publish_retries": min(settings.broker_publish_retries, 1),
    })


def create_app(settings: Settings) -> FastAPI:
    """The API for ``settings``; raises ApiMisconfigured when no api_token is set, or a
    secret is short or shared with another."""
    problem = secret_problem(settings)
    if problem:
        raise ApiMisconfigured(problem)
    settings = api_settings(settings)
    authenticator = RequestAuthenticator(
        settings.api_token,
        seen_signatures_for(settings.broker_url, settings.broker_key_prefix,
                            settings.api_stall_timeout_s),
    )
    stall = settings.api_stall_timeout_s
    engine = make_engine(settings.database_url, pool_timeout_s=stall, lock_timeout_s=stall,
                         statement_timeout_s=stall * STATEMENT_TIMEOUT_FACTOR)
    state = ApiState(settings, engine, session_factory(engine), articles_table(settings.articles))
    health = HealthProbe(settings, engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        # Requests beyond the thread pool would wait for a thread without any bound; the
        # guard's admission limit is the one queue, and it is bounded.
        limiter = to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(limiter.total_tokens, settings.api_max_in_flight + 8)
        yield
        health.close()
        engine.dispose()

    app = FastAPI(title="newsum", version=__version__, lifespan=lifespan)
    app.state.newsum = state
    app.state.health = health
    app.state.metrics = metrics_registry(NewsumCollector(settings, engine))
    app.add_middleware(
        RequestGuard, authenticator=authenticator,
        metrics=MetricsAuthenticator(settings.metrics_token), max_body_bytes=MAX_BODY_BYTES,
        session_prefixes=(REVIEW_PREFIX,), max_in_flight=settings.api_max_in_flight,
        admission_timeout_s=stall,
    )
    app.include_router(cms_router)
    app.mount(REVIEW_PREFIX, review_app(state))
    add_error_handlers(app)
    return app
