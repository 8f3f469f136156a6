"""Who is acting on the JSON review API: an editor, by their own credential, and no one else.

Two credentials are accepted, both an editor's own:

- a per-editor API token (``Authorization: Bearer nse_...``, made by
  ``newsum editors token NAME``), for a CMS screen that acts for one signed-in editor;
- the review page's signed-in session cookie, for script on the page; a request that
  changes something must also send the session's CSRF token in ``X-CSRF-Token``.

The CMS's shared secret (bearer or HMAC) is refused with 403: it queues and reads
summaries and nothing else, so it can never act in an editor's name. The editor is the
credential's, never a name in the request.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from newsum.db.editors import token_owner
from newsum.db.models import ReviewChannel
from newsum.review.session import CSRF_HEADER, csrf_matches, session_editor
from newsum.review.state import ReviewState

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CMS_REFUSED = (
    "the CMS's credential queues and reads summaries only; a review action needs an"
    " editor's own API token (`newsum editors token NAME`) or review-page session"
)


class CredentialRefused(Exception):
    """The request carries no editor credential that newsum accepts (401 or 403)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class EditorCredential:
    """The editor acting, and through which of their credentials."""

    editor_id: int
    editor: str
    channel: ReviewChannel
    credential_id: str


def editor_credential(request: Request) -> EditorCredential:
    """Dependency of every review API route; raises CredentialRefused or NotSignedIn."""
    state: ReviewState = request.app.state.review
    authorization = request.headers.get("authorization")
    if authorization is not None:
        return _token_credential(state, authorization)
    if request.headers.get("x-newsum-signature") is not None:
        raise CredentialRefused(403, CMS_REFUSED)
    editor = session_editor(request)
    if request.method not in SAFE_METHODS and not csrf_matches(
        request, request.headers.get(CSRF_HEADER, "")
    ):
        raise CredentialRefused(
            403, f"a change made with the review page's session must send its CSRF token in"
            f" {CSRF_HEADER} (GET /review/api/session gives it)",
        )
    return EditorCredential(editor.id, editor.name, ReviewChannel.PAGE, editor.session_id)


def _token_credential(state: ReviewState, authorization: str) -> EditorCredential:
    scheme, _, secret = authorization.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise CredentialRefused(401, "send 'Authorization: Bearer <editor API token>'")
    cms_token = state.settings.api_token
    if cms_token is not None and hmac.compare_digest(
        secret.encode("utf-8", "replace"), cms_token.get_secret_value().encode("utf-8")
    ):
        raise CredentialRefused(403, CMS_REFUSED)
    with state.sessions() as session:
        found = token_owner(session, secret)
        if found is None:
            raise CredentialRefused(401, "unknown or revoked editor API token")
        token, editor = found
        return EditorCredential(editor.id, editor.name, ReviewChannel.TOKEN, str(token.id))


Editor = Annotated[EditorCredential, Depends(editor_credential)]
