"""The review page's sessions: who is signed in, the CSRF token, one-shot messages, and the
headers every page carries.

The session lives in a signed cookie (Starlette's SessionMiddleware: HttpOnly,
SameSite=Strict, Secure unless ``review_secure_cookie`` is off, path /review). It holds
the editor's id and name, the editor's session version when they signed in, a random
session id (recorded with every action taken through it), when it was signed in and last
used, a random CSRF token that every POST must echo, and at most one message for the
next page.

A cookie alone cannot be revoked, so the account is read on every request: a session
ends when the account is disabled, when its session version moved on (a logout, a new
password, disabling), after ``review_session_hours`` however active it is, and after
``review_idle_minutes`` unused.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Form, Request

from newsum.db.models import Editor
from newsum.review.state import ReviewState

CSRF_HEADER = "x-csrf-token"
# The last-used time is written back at most this often, so that reading the queue does
# not re-sign the cookie on every request.
SEEN_RESOLUTION_S = 30


class NotSignedIn(Exception):
    """The request carries no valid editor session: answered with the login page (or 401)."""


class CsrfRefused(Exception):
    """A POST without the session's CSRF token: answered 403."""


@dataclass(frozen=True)
class SessionEditor:
    """The editor a live session belongs to, and the session's own id."""

    id: int
    name: str
    session_id: str


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_matches(request: Request, given: str) -> bool:
    """Whether ``given`` is the session's CSRF token (constant time)."""
    expected = request.session.get("csrf")
    return isinstance(expected, str) and hmac.compare_digest(
        given.encode("utf-8", "replace"), expected.encode("utf-8")
    )


def check_csrf(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    """Dependency of every POST form: the form's token must be the session's."""
    if not csrf_matches(request, csrf_token):
        raise CsrfRefused


def sign_in(request: Request, editor_id: int, name: str, session_version: int) -> None:
    """A fresh session for the editor (a token from before the login is never reused)."""
    now = round(time.time(), 1)
    request.session.clear()
    request.session.update({
        "editor_id": editor_id, "editor": name, "sv": session_version,
        "sid": secrets.token_urlsafe(12), "iat": now, "seen": now,
        "csrf": secrets.token_urlsafe(32),
    })


def sign_out(request: Request) -> None:
    request.session.clear()


def session_editor(request: Request) -> SessionEditor:
    """The editor of a live session; raises NotSignedIn (and clears the cookie) otherwise."""
    data = request.session
    editor_id, version = data.get("editor_id"), data.get("sv")
    issued, seen, sid = data.get("iat"), data.get("seen"), data.get("sid")
    if not (isinstance(editor_id, int) and isinstance(version, int) and isinstance(sid, str)
            and isinstance(issued, int | float) and isinstance(seen, int | float)):
        raise _ended(request)
    state: ReviewState = request.app.state.review
    now = round(time.time(), 1)
    settings = state.settings
    if (now - issued > settings.review_session_hours * 3600
            or now - seen > settings.review_idle_minutes * 60):
        raise _ended(request)
    with state.sessions() as session:
        editor = session.get(Editor, editor_id)
        if editor is None or not editor.is_active or editor.session_version != version:
            raise _ended(request)
        name = editor.name
    if now - seen >= SEEN_RESOLUTION_S:
        data["seen"] = now
    return SessionEditor(editor_id, name, sid)


def _ended(request: Request) -> NotSignedIn:
    request.session.clear()
    return NotSignedIn()


CurrentEditor = Annotated[SessionEditor, Depends(session_editor)]
CsrfChecked = Depends(check_csrf)


def flash(request: Request, message: str, findings: list[dict[str, str]] | None = None) -> None:
    """A message (and findings) for the next page the editor sees."""
    request.session["flash"] = {"message": message, "findings": findings or []}


def take_flash(request: Request) -> dict[str, Any] | None:
    value = request.session.pop("flash", None)
    return value if isinstance(value, dict) else None


def page_headers(nonce: str) -> dict[str, str]:
    """No framing, no caching, and only this page's own inline style and script."""
    return {
        "Content-Security-Policy": (
            f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}';"
            " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        ),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }
