"""Fixtures of the worker tests: a migrated database with an active model version, and
settings that point at it and at an isolated key space on the real Redis server."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from newsum.config import Settings
from tests.conftest import REDIS_SERVER


@pytest.fixture
def worker_settings(
    engine: Engine, redis_prefix: str, settings_for: Callable[..., Settings]
) -> Settings:
    """Settings on the migrated test database (both dialects) and a private Redis prefix."""
    return settings_for(
        engine.url.render_as_string(hide_password=False),
        broker_url=REDIS_SERVER,
        broker_key_prefix=redis_prefix,
    )

