"""The HTTP server: the CMS's API (:mod:`newsum.api`) and the editors' review
(:mod:`newsum.review`) in one ASGI app (``newsum api`` serves it).

The two surfaces share only the process's state (:mod:`newsum.web`); each keeps its own
credentials, so neither reads the other to change them.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from newsum import __version__
from newsum.api.app import add_error_handlers
from newsum.api.app import router as cms_router
from newsum.api.auth import RequestAuthenticator, seen_signatures_for
from newsum.api.guard import MAX_BODY_BYTES, RequestGuard
from newsum.api.metrics import NewsumCollector, metrics_registry
from newsum.config import Settings
from newsum.db.engine import make_engine, session_factory
from newsum.db.models import articles_table
from newsum.review.api import router as review_router
from newsum.review.page import PREFIX as REVIEW_PREFIX
from newsum.review.page import review_app
from newsum.web.state import ApiState


def create_app(settings: Settings) -> FastAPI:
    """The API for ``settings``; raises ApiMisconfigured when no api_token is set."""
    authenticator = RequestAuthenticator(
        settings.api_token,
        seen_signatures_for(settings.broker_url, settings.broker_key_prefix),
    )
    engine = make_engine(settings.database_url)
    state = ApiState(settings, engine, session_factory(engine), articles_table(settings.articles))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        yield
        engine.dispose()

    app = FastAPI(title="newsum", version=__version__, lifespan=lifespan)
    app.state.newsum = state
    app.state.metrics = metrics_registry(NewsumCollector(settings, engine))
    app.add_middleware(
        RequestGuard, authenticator=authenticator, max_body_bytes=MAX_BODY_BYTES,
        session_prefixes=(REVIEW_PREFIX,),
    )
    app.include_router(cms_router)
    app.include_router(review_router)
    app.mount(REVIEW_PREFIX, review_app(state))
    add_error_handlers(app)
    return app

