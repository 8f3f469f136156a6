"""The review page's sessions: who is signed in, the CSRF token, one-shot messages, and the
headers every page carries.

The session lives in a signed cookie (Starlette's SessionMiddleware: HttpOnly,
SameSite=Strict, Secure unless ``review_secure_cookie`` is off, path /review). It holds
the editor's id and name, a random CSRF token that every POST must echo, and at most one
message for the next page. The account is looked up on every request, so disabling an
editor ends their sessions at once.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from sqlalchemy.orm import Session, sessionmaker

from newsum.db.models import Editor
from newsum.review.logins import SignedInEditor


class NotSignedIn(Exception):
    """The request carries no valid editor session: answered with the login page."""


class CsrfRefused(Exception):
    """A POST without the session's CSRF token: answered 403."""


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    """Dependency of every POST: the form's token must be the session's (constant time)."""
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not hmac.compare_digest(
        csrf_token.encode("utf-8", "replace"), expected.encode("utf-8")
    ):
        raise CsrfRefused


def sign_in(request: Request, editor: SignedInEditor) -> None:
    """A fresh session for ``editor`` (a token from before the login is never reused)."""
    request.session.clear()
    request.session.update({"editor_id": editor.id, "editor": editor.name,
                            "csrf": secrets.token_urlsafe(32)})


def sign_out(request: Request) -> None:
    request.session.clear()


def signed_in(request: Request) -> SignedInEditor:
    """Dependency of every page but the login: the editor, still active; else NotSignedIn."""
    editor_id = request.session.get("editor_id")
    if not isinstance(editor_id, int):
        raise NotSignedIn
    sessions: sessionmaker[Session] = request.app.state.review.sessions
    with sessions() as session:
        editor = session.get(Editor, editor_id)
        if editor is None or not editor.is_active:
            request.session.clear()
            raise NotSignedIn
        return SignedInEditor(editor.id, editor.name)


CurrentEditor = Annotated[SignedInEditor, Depends(signed_in)]
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
