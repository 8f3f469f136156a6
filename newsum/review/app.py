"""The editors' review as one ASGI app, mounted by the server under ``/review``.

``/review/...`` is the page (sign-in, the queue, actions by form), ``/review/api/...`` the
JSON review API; both share the signed session cookie, the sign-in gate and the
database. The server's guard lets ``/review`` through without the CMS's credential: here
people authenticate as themselves (:mod:`newsum.review.session`,
:mod:`newsum.review.credentials`). A database or Redis that does not answer is a 503 on
both, an HTML page on the page and JSON on the API.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp

from newsum.errors import BrokerUnavailable, DatabaseUnavailable
from newsum.review.api import router as api_router
from newsum.review.credentials import CMS_REFUSED, CredentialRefused
from newsum.review.logins import LoginCheck
from newsum.review.page import router as page_router
from newsum.review.render import PREFIX, message_page
from newsum.review.session import CsrfRefused, NotSignedIn
from newsum.review.signin import router as signin_router
from newsum.review.signin_gate import SignInGate
from newsum.review.state import ReviewState
from newsum.web.errors import RETRY_AFTER_S, add_error_handlers, describe, log
from newsum.web.state import ApiState

COOKIE = "newsum_review"
OUTAGE = "The database or Redis does not answer just now. Try again in a moment."
STALLS: tuple[type[Exception], ...] = (
    DBAPIError, PoolTimeout, DatabaseUnavailable, BrokerUnavailable,
)


def review_app(state: ApiState) -> ASGIApp:
    """The review, or without ``review_secret_key`` an app that says it is switched off."""
    key = state.settings.review_secret_key
    if key is None:
        return PlainTextResponse(
            "the review is off: set NEWSUM_REVIEW_SECRET_KEY (a long random string)"
            " and restart newsum api", status_code=503,
        )
    gate = SignInGate.for_settings(state.settings, LoginCheck(state.sessions))
    review = ReviewState(**vars(state), gate=gate)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.review = review
    app.add_middleware(
        SessionMiddleware, secret_key=key.get_secret_value(), session_cookie=COOKIE,
        # The cookie's own expiry; the absolute and idle lifetimes are checked on the
        # server, from the session's content (the cookie is re-signed as it is used).
        max_age=int(state.settings.review_session_hours * 3600), path=PREFIX,
        same_site="strict", https_only=state.settings.review_secure_cookie,
    )
    app.mount("/api", _api_app(state, review))
    app.include_router(signin_router)
    app.include_router(page_router)
    app.add_exception_handler(NotSignedIn, _to_login)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    for stall in STALLS:
        app.add_exception_handler(stall, _outage_page)
    return app


def _api_app(state: ApiState, review: ReviewState) -> FastAPI:
    api = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    api.state.newsum = state
    api.state.review = review
    api.include_router(api_router)
    add_error_handlers(api)
    api.add_exception_handler(CredentialRefused, _refused)
    api.add_exception_handler(NotSignedIn, _not_signed_in)
    return api


async def _refused(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CredentialRefused)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=headers)


async def _not_signed_in(_request: Request, _exc: Exception) -> Response:
    return JSONResponse(
        {"detail": "send an editor's API token (Authorization: Bearer nse_...) or sign in"
                   f" at {PREFIX}/login"},
        status_code=401, headers={"WWW-Authenticate": "Bearer"},
    )


async def _to_login(request: Request, _exc: Exception) -> Response:
    if "authorization" in request.headers or "x-newsum-signature" in request.headers:
        # A machine credential on a page for people: say no, rather than show a login.
        return JSONResponse({"detail": CMS_REFUSED}, status_code=403)
    return RedirectResponse(f"{PREFIX}/login", status_code=303)


async def _csrf_refused(request: Request, _exc: Exception) -> Response:
    return message_page(request, 403,
                        "This form has expired or did not come from this page. Reload it.")


async def _outage_page(request: Request, exc: Exception) -> Response:
    log.warning("review page: %s: %s", type(exc).__name__, describe(exc))
    return message_page(request, 503, OUTAGE, headers={"Retry-After": str(RETRY_AFTER_S)})
