"""Throwaway PostgreSQL databases on a shared server, for the tests and the benchmarks.

The server comes from NEWSUM_TEST_POSTGRES_URL (default: the local server). The same
server serves other runs, so every database gets a unique name and is dropped after use.
"""

from __future__ import annotations

import os
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_SERVER = os.environ.get(
    "NEWSUM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def create_postgres_database(server: str = POSTGRES_SERVER) -> str:
    """Create an empty PostgreSQL database on ``server`` (a URL of any database there,
    used only to connect); return the new database's URL."""
    name = f"newsum_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str, server: str = POSTGRES_SERVER) -> None:
    """Drop a database made by create_postgres_database on ``server``, closing its
    sessions first."""
    name = make_url(url).database
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
