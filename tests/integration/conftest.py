"""Fixtures of the integration tests: a migrated PostgreSQL newsroom and its settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine

from newsum.config import Settings
from newsum.db.engine import make_engine
from newsum.db.migrate import upgrade
from tests.conftest import REDIS_SERVER


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    """A migrated throwaway PostgreSQL database."""
    engine = make_engine(postgres_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pipeline_settings(
    pg_engine: Engine, redis_prefix: str, settings_for: Callable[..., Settings]
) -> Settings:
    """Settings for a real worker on ``pg_engine`` and a private Redis key prefix."""
    return settings_for(
        pg_engine.url.render_as_string(hide_password=False),
        broker_url=REDIS_SERVER, broker_key_prefix=redis_prefix, precision="fp32",
        device="cpu", batch_size=4, batch_flush_interval_s=0.3, sweeper_window_s=3600,
    )
