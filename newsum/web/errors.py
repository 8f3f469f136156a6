"""How both HTTP surfaces answer the failures a client can act on: clear 4xx and 503
answers with a reason, never a 500 and never a traceback or a connection string.

A stall is a 503 with ``Retry-After``: a broker that does not answer, a database that
cannot be reached, a pool with no free connection (SQLAlchemy's ``TimeoutError``), a
statement or lock timeout (a ``DBAPIError``).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

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

log = logging.getLogger(__name__)

RETRY_AFTER_S = 5
DATABASE_BUSY = "the database is busy or unreachable; retry later"
def describe(exc: BaseException) -> str:
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
                log.warning("%s: %s", type(exc).__name__, describe(exc))
            headers = {"Retry-After": str(RETRY_AFTER_S)} if retry else None
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
    app.add_exception_handler(PoolTimeout, handler(503, DATABASE_BUSY, True))

