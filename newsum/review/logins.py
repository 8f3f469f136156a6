"""Editors' passwords: the policy a new one must meet, argon2id hashes, and a login check
that answers alike for every failure.

A failed login must not tell an unknown name from a wrong password, by its answer or by
its timing: an unknown (or disabled) name is checked against a dummy hash made with the
same parameters, so both cost one argon2 verification. The review page adds a fixed
minimum duration on top (``review_login_delay_s``), limits failures per account and per
address, and runs these checks in their own small pool (:mod:`newsum.review.signin_gate`).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session, sessionmaker

from newsum.db.editors import EDITOR_NAME, find_editor
from newsum.errors import PasswordRefused

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; a cap keeps a login request cheap
MIN_DISTINCT_CHARACTERS = 6
# What people put around a common word to pass a length rule: "Password2024!", "!qwerty".
_DECORATION = re.compile(r"^[\W\d_]+|[\W\d_]+$")

# argon2-cffi's defaults (argon2id, RFC 9106's low-memory profile: 64 MiB, 3 passes).
_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of passwords guessed first (lower case, one a line)."""
    text = files("newsum.review").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def password_problem(password: str, name: str = "") -> str | None:
    """Why ``password`` is refused as a new password, or None when it is acceptable.

    Length first (what makes guessing slow), then what guessing tries first: a listed
    common password, one with digits or symbols stuck on either end, the account's own
    name, or a few characters repeated.
    """
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        return f"a password needs {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
    lowered = password.lower()
    listed = common_passwords()
    if lowered in listed or _DECORATION.sub("", lowered) in listed:
        return "that password is on the list of the commonest ones: choose another"
    if name and _DECORATION.sub("", lowered.replace(name.lower(), "")) in ("", *listed):
        return "a password must not be built from the editor's name"
    if len(set(password)) < MIN_DISTINCT_CHARACTERS:
        return f"a password needs at least {MIN_DISTINCT_CHARACTERS} different characters"
    return None


def hash_password(password: str, name: str = "") -> str:
    """The argon2id hash of a new password; raises PasswordRefused saying why."""
    problem = password_problem(password, name)
    if problem:
        raise PasswordRefused(f"{problem} (a passphrase of four or more words works well)")
    return _hasher.hash(password)


@dataclass(frozen=True)
class SignedInEditor:
    """Who logged in: what a session keeps (never the password or its hash)."""

    id: int
    name: str
    session_version: int


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
        return SignedInEditor(editor.id, editor.name, editor.session_version)


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
