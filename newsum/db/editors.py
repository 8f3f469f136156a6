"""Editor accounts: who may review summaries, their API tokens, and the session version
that ends their review-page sessions. Passwords arrive here already hashed."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsum.db.models import Editor, EditorToken, utcnow
from newsum.errors import EditorExists, EditorNameInvalid, UnknownEditor, UnknownToken

# Editor API tokens start with this, so one pasted in the wrong place (a log, the CMS's
# bearer field) is recognisable, and the CMS's token never looks like one.
TOKEN_PREFIX = "nse_"

# A login name: letters, digits and . _ @ - (an e-mail address fits), at most 100.
EDITOR_NAME = re.compile(r"[A-Za-z0-9._@-]{1,100}")


def check_editor_name(name: str) -> str:
    """``name`` if newsum accepts it as an editor name; raises EditorNameInvalid."""
    if not EDITOR_NAME.fullmatch(name):
        raise EditorNameInvalid(
            f"invalid editor name {name!r}: use 1-100 letters, digits, '.', '_', '@' or '-'"
        )
    return name


def add_editor(session: Session, name: str, password_hash: str) -> Editor:
    """Create an active editor account; raises EditorNameInvalid or EditorExists."""
    check_editor_name(name)
    if find_editor(session, name) is not None:
        raise EditorExists(f"an editor named {name!r} exists already")
    editor = Editor(name=name, password_hash=password_hash, is_active=True)
    session.add(editor)
    session.flush()
    return editor


def find_editor(session: Session, name: str) -> Editor | None:
    """The account named ``name`` (active or not), or None."""
    return session.scalars(select(Editor).where(Editor.name == name)).one_or_none()


def active_editor(session: Session, name: str) -> Editor:
    """The active account named ``name``; raises UnknownEditor (also for a disabled one)."""
    editor = find_editor(session, name)
    if editor is None or not editor.is_active:
        raise UnknownEditor(f"no active editor named {name!r} (`newsum editors list`)")
    return editor


def list_editors(session: Session) -> list[Editor]:
    """Every editor account, by name."""
    return list(session.scalars(select(Editor).order_by(Editor.name)))


def set_editor_active(session: Session, name: str, active: bool) -> Editor:
    """Enable or disable an account (accounts are never deleted: the audit names them)."""
    editor = _existing_editor(session, name)
    editor.is_active = active
    if not active:
        editor.session_version += 1
    session.flush()
    return editor


def set_editor_password(session: Session, name: str, password_hash: str) -> Editor:
    """Replace an account's password hash; every session signed in before ends."""
    editor = _existing_editor(session, name)
    editor.password_hash = password_hash
    editor.session_version += 1
    session.flush()
    return editor


def end_sessions(session: Session, editor_id: int) -> None:
    """End every review-page session of the editor (a logout ends them all)."""
    editor = session.get(Editor, editor_id)
    if editor is not None:
        editor.session_version += 1
        session.flush()


@dataclass(frozen=True)
class IssuedToken:
    """A new API token: ``secret`` is shown once and never stored."""

    id: int
    secret: str


def token_digest(secret: str) -> str:
    """The stored form of an API token (hex SHA-256)."""
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def issue_token(session: Session, name: str, label: str = "") -> IssuedToken:
    """A new API token for the active editor ``name``; raises UnknownEditor."""
    editor = active_editor(session, name)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = EditorToken(editor_id=editor.id, token_hash=token_digest(secret), label=label[:100])
    session.add(token)
    session.flush()
    return IssuedToken(token.id, secret)


def token_owner(session: Session, secret: str) -> tuple[EditorToken, Editor] | None:
    """The unrevoked token matching ``secret`` and its active editor, or None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = session.scalars(
        select(EditorToken).where(EditorToken.token_hash == token_digest(secret))
    ).one_or_none()
    if token is None or token.revoked_at is not None or not token.editor.is_active:
        return None
    return token, token.editor


def list_tokens(session: Session, name: str) -> list[EditorToken]:
    """The editor's tokens, revoked ones included, oldest first."""
    editor = _existing_editor(session, name)
    return list(session.scalars(
        select(EditorToken).where(EditorToken.editor_id == editor.id).order_by(EditorToken.id)
    ))


def revoke_token(session: Session, token_id: int) -> EditorToken:
    """Revoke a token for good; raises UnknownToken."""
    token = session.get(EditorToken, token_id)
    if token is None:
        raise UnknownToken(f"no API token with id {token_id} (`newsum editors tokens NAME`)")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
    return token


def _existing_editor(session: Session, name: str) -> Editor:
    """The account named ``name``, active or not; raises UnknownEditor."""
    editor = find_editor(session, name)
    if editor is None:
        raise UnknownEditor(f"no editor named {name!r} (`newsum editors list`)")
    return editor
