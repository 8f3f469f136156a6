"""Editor accounts: who may review summaries. Passwords arrive here already hashed."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsum.db.models import Editor
from newsum.errors import EditorExists, EditorNameInvalid, UnknownEditor

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
    session.flush()
    return editor


def set_editor_password(session: Session, name: str, password_hash: str) -> Editor:
    """Replace an account's password hash."""
    editor = _existing_editor(session, name)
    editor.password_hash = password_hash
    session.flush()
    return editor


def _existing_editor(session: Session, name: str) -> Editor:
    """The account named ``name``, active or not; raises UnknownEditor."""
    editor = find_editor(session, name)
    if editor is None:
        raise UnknownEditor(f"no editor named {name!r} (`newsum editors list`)")
    return editor
