"""Shared fixtures: throwaway databases on SQLite and on the real PostgreSQL server,
an isolated key space on the real Redis server, and settings pointing at them.

Servers come from NEWSUM_TEST_POSTGRES_URL and NEWSUM_TEST_REDIS_URL (defaults: the
local servers). Every run creates its own PostgreSQL database and Redis key prefix and
removes them afterwards, because the same servers serve other runs.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine

from harness.postgres import create_postgres_database, drop_postgres_database
from newsum.config import Settings, get_settings
from newsum.db.engine import make_engine
from newsum.db.migrate import upgrade

# Session fixtures for the tiny foundation model, a trained adapter and the tiny entailment
# classifier, each built once per run (and only by a run that uses it).
pytest_plugins = ["tests.model_fixtures", "tests.adapter_fixtures", "tests.classifier_fixtures"]

REDIS_SERVER = os.environ.get("NEWSUM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test reads a developer's NEWSUM_* variables or ./newsum.toml."""
    for name in list(os.environ):
        if name.startswith("NEWSUM_") and not name.startswith("NEWSUM_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NEWSUM_CONFIG_FILE", str(tmp_path / "absent.toml"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database, dropped after the test."""
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a fresh SQLite file."""
    return f"sqlite:///{tmp_path / 'newsroom.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'newsroom.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a fresh, migrated database (both dialects)."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A Redis key prefix owned by this test; its keys are deleted afterwards."""
    prefix = f"newsum-test-{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_SERVER)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def settings_for(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Build Settings for a test database, with data under the test's tmp dir."""

    def build(database_url: str, **overrides: object) -> Settings:
        return Settings(database_url=database_url, data_dir=tmp_path / "data", **overrides)

    return build


@pytest.fixture
def worker_settings(engine: Engine, redis_prefix: str, settings_for) -> Settings:  # type: ignore[no-untyped-def]
    """Settings on the migrated test database and a private Redis key prefix."""
    return settings_for(
        engine.url.render_as_string(hide_password=False),
        broker_url=REDIS_SERVER,
        broker_key_prefix=redis_prefix,
    )
