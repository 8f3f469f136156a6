"""``newsum editors``: the accounts that sign in to the review page (which is off without
``NEWSUM_REVIEW_SECRET_KEY``), and their API tokens for the JSON review API."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from newsum.cli_params import settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


editors_app = typer.Typer(help="Editor accounts for the review page.", no_args_is_help=True)


def _read_password() -> str:
    """Prompted twice on a terminal; the first line of standard input otherwise (scripts)."""
    if sys.stdin.isatty():
        return typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@editors_app.command("add")
def editors_add(
    name: Annotated[str, typer.Argument(help="Login name (letters, digits, . _ @ -).")],
) -> None:
    """Create an editor; the password is prompted (or read from standard input)."""
    from newsum.db.editors import add_editor, check_editor_name
    from newsum.review.logins import hash_password

    check_editor_name(name)
    password_hash = hash_password(_read_password(), name)
    with _transaction() as session:
        add_editor(session, name, password_hash)
    typer.echo(f"editor {name} added")


@editors_app.command("password")
def editors_password(name: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Set a new password for an editor (prompted, or read from standard input); every
    review-page session they had ends."""
    from newsum.db.editors import set_editor_password
    from newsum.review.logins import hash_password

    password_hash = hash_password(_read_password(), name)
    with _transaction() as session:
        set_editor_password(session, name, password_hash)
    typer.echo(f"password of {name} changed; their sessions are ended")


@editors_app.command("token")
def editors_token(
    name: Annotated[str, typer.Argument(help="Login name.")],
    label: Annotated[str, typer.Option(help="What the token is for (shown by `tokens`).")] = "",
) -> None:
    """Make an API token for the JSON review API that acts as this editor (shown once)."""
    from newsum.db.editors import issue_token

    with _transaction() as session:
        issued = issue_token(session, name, label)
    typer.echo(f"token {issued.id} for {name} (store it now; it is not shown again):")
    typer.echo(issued.secret)


@editors_app.command("tokens")
def editors_tokens(name: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """The editor's API tokens: id, label, made, revoked."""
    from newsum.db.editors import list_tokens

    with _transaction() as session:
        for token in list_tokens(session, name):
            revoked = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
            typer.echo(f"{token.id:<6} {token.label or '-':<30} made {token.created_at:%Y-%m-%d}"
                       f"  {revoked}")


@editors_app.command("revoke-token")
def editors_revoke_token(
    token_id: Annotated[int, typer.Argument(help="The token's id (`newsum editors tokens`).")],
) -> None:
    """Revoke an API token: it is refused from the next request on."""
    from newsum.db.editors import revoke_token

    with _transaction() as session:
        revoke_token(session, token_id)
    typer.echo(f"token {token_id} revoked")


@editors_app.command("list")
def editors_list() -> None:
    """Every editor account and whether it may sign in."""
    from newsum.db.editors import list_editors

    with _transaction() as session:
        for editor in list_editors(session):
            state = "active" if editor.is_active else "disabled"
            typer.echo(f"{editor.name:<40} {state:<9} since {editor.created_at:%Y-%m-%d}")


@editors_app.command("disable")
def editors_disable(name: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Stop an editor from signing in (their sessions end and their API tokens stop
    working; their audit records stay)."""
    _set_active(name, False)


@editors_app.command("enable")
def editors_enable(name: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Let a disabled editor sign in again."""
    _set_active(name, True)


def _set_active(name: str, active: bool) -> None:
    from newsum.db.editors import set_editor_active

    with _transaction() as session:
        set_editor_active(session, name, active)
    typer.echo(f"editor {name} {'enabled' if active else 'disabled'}")


@contextmanager
def _transaction() -> Iterator[Session]:
    from newsum.db.engine import check_connection, make_engine, transaction

    engine = make_engine(settings().database_url)
    check_connection(engine)
    try:
        with transaction(engine) as session:
            yield session
    finally:
        engine.dispose()


def register(app: typer.Typer) -> None:
    """Attach ``newsum editors`` to the root app."""
    app.add_typer(editors_app, name="editors")
