"""Run newsum's Alembic migrations programmatically (``newsum db ...``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from newsum.db.engine import check_connection

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "newsum_alembic_version"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate newsum's tables up to ``revision``."""
    check_connection(engine)
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Migrate newsum's tables down to ``revision`` (``base`` drops them all)."""
    check_connection(engine)
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None before the first upgrade."""
    check_connection(engine)
    with engine.connect() as connection:
        return MigrationContext.configure(
            connection, opts={"version_table": VERSION_TABLE}
        ).get_current_revision()


def head_revision() -> str | None:
    """The newest revision this version of newsum ships."""
    return ScriptDirectory.from_config(_config()).get_current_head()
