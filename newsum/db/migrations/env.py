"""Alembic environment: migrates newsum's own tables only, never the CMS's."""

from __future__ import annotations

from alembic import context

from newsum.db.migrate import VERSION_TABLE
from newsum.db.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        # SQLite alters tables by copying them.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("newsum runs its migrations online: newsum db upgrade")
run_migrations_online()
