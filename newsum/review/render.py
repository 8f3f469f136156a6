"""How the review page renders: Jinja2 with autoescaping, a fresh nonce per page for its
own inline style and script, and the headers every page carries."""

from __future__ import annotations

import secrets
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import Response
from starlette.templating import Jinja2Templates

from newsum.review.session import csrf_token, page_headers

PREFIX = "/review"

templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.PackageLoader("newsum.review", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
)


def render_page(request: Request, template: str, status_code: int = 200,
                headers: dict[str, str] | None = None, **context: Any) -> Response:
    """``template`` with ``context``, the CSRF token and a nonce, and the page headers."""
    nonce = secrets.token_urlsafe(16)
    response = templates.TemplateResponse(
        request, template, {"nonce": nonce, "csrf_token": csrf_token(request), "prefix": PREFIX,
                            **context},
        status_code=status_code,
    )
    response.headers.update(page_headers(nonce))
    response.headers.update(headers or {})
    return response


def message_page(request: Request, status_code: int, message: str,
                 headers: dict[str, str] | None = None) -> Response:
    """A page that says one thing (an expired form, an outage)."""
    return render_page(request, "review/message.html", status_code=status_code,
                       headers=headers, message=message)
