"""Signing in to and out of the review page.

A sign-in passes the gate (:mod:`newsum.review.signin_gate`: limits, then argon2 in its
own pool) and always takes at least ``review_login_delay_s``, waited on the event loop so
a flood of logins holds no threads. An unknown name and a wrong password read the same.
Signing out ends every session of the editor (the session version moves on).
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from newsum.db.editors import end_sessions
from newsum.db.engine import transaction
from newsum.errors import LoginBusy, LoginThrottled
from newsum.review.logins import MAX_PASSWORD_LENGTH
from newsum.review.render import PREFIX, render_page
from newsum.review.session import CsrfChecked, CurrentEditor, sign_in, sign_out
from newsum.review.state import ReviewState

LOGIN_FAILED = "Unknown name or wrong password."

router = APIRouter()


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    """The sign-in form."""
    return render_page(request, "review/login.html", error=None, name="")


@router.post("/login", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def login(
    request: Request,
    name: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)] = "",
) -> Response:
    """Sign in; 401 for a wrong name or password, 429 over the limits, 503 when busy."""
    started = time.monotonic()
    state: ReviewState = request.app.state.review
    assert state.gate is not None
    address = request.client.host if request.client else "unknown"
    editor, refusal = None, None
    try:
        editor = await state.gate.sign_in(name, password, address)
    except LoginThrottled as exc:
        refusal = (429, f"{exc}.", str(exc.retry_after_s))
    except LoginBusy as exc:
        refusal = (503, f"{exc}.", "5")
    # Every answer takes the minimum time, a refusal too: a guesser's loop cannot spin
    # on quick refusals, and the answers do not tell their causes apart by timing.
    remaining = state.settings.review_login_delay_s - (time.monotonic() - started)
    await asyncio.sleep(max(0.0, remaining))
    if refusal is not None:
        status, message, retry_after = refusal
        return render_page(request, "review/login.html", status_code=status, error=message,
                           name=name, headers={"Retry-After": retry_after})
    if editor is None:
        return render_page(request, "review/login.html", status_code=401, error=LOGIN_FAILED,
                           name=name)
    sign_in(request, editor.id, editor.name, editor.session_version)
    return RedirectResponse(f"{PREFIX}/", status_code=303)


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, editor: CurrentEditor) -> Response:
    """Sign out here and everywhere: a copied cookie stops working too."""
    state: ReviewState = request.app.state.review
    with transaction(state.engine) as session:
        end_sessions(session, editor.id)
    sign_out(request)
    return RedirectResponse(f"{PREFIX}/login", status_code=303)
