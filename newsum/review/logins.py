"""Editors' passwords: argon2id hashes, and a login check that answers alike for every failure.

A failed login must not tell an unknown name from a wrong password, by its answer or by
its timing: an unknown (or disabled) name is checked against a dummy hash made with the
same parameters, so both cost one argon2 verification. The review page adds a fixed
minimum duration on top (``review_login_delay_s``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session, sessionmaker

from newsum.db.editors import EDITOR_NAME, find_editor
from newsum.errors import NewsumError

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; a cap keeps a login request cheap

# argon2-cffi's defaults (argon2id, RFC 9106's low-memory profile: 64 MiB, 3 passes).
_hasher = PasswordHasher()


class PasswordRefused(NewsumError):
    """A new password newsum will not store (too short or too long)."""


def hash_password(password: str) -> str:
    """The argon2id hash of a new password; raises PasswordRefused."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise PasswordRefused(
            f"a password needs {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )
    return _hasher.hash(password)


@dataclass(frozen=True)
class SignedInEditor:
    """Who logged in: what a session keeps (never the password or its hash)."""

    id: int
    name: str


class LoginCheck:
    """Checks a name and password against the editor accounts."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._dummy_hash = _hasher.hash(secrets.token_urlsafe(24))

    def __call__(self, name: str, password: str) -> SignedInEditor | None:
        """The editor when the name is an active account and the password its own, else
        None, after the same work in every case."""
        editor = None
        if EDITOR_NAME.fullmatch(name):
            with self._sessions() as session:
                editor = find_editor(session, name)
        usable = editor is not None and editor.is_active
        stored = editor.password_hash if usable and editor is not None else self._dummy_hash
        matches = _verify(stored, password[:MAX_PASSWORD_LENGTH])
        if not (usable and matches) or editor is None:
            return None
        return SignedInEditor(editor.id, editor.name)


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
