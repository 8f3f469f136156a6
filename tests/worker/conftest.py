"""Fixtures of the worker tests: a migrated database with an active model version, and
settings that point at it and at an isolated key space on the real Redis server."""

from __future__ import annotations





