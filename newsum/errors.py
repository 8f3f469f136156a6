"""Exceptions a user can act on. The CLI prints their message as one line and exits 1."""

from __future__ import annotations


class NewsumError(Exception):
    """Base of every error newsum reports to a user instead of a traceback."""


class DatabaseUnavailable(NewsumError):
    """The database cannot be reached."""


class ImportRejected(NewsumError):
    """An articles file cannot be imported; nothing was written."""


class NoActiveModelVersion(NewsumError):
    """No model version is active, so nothing can be summarised yet."""


class UnknownModelVersion(NewsumError):
    """A model version name or id that the registry does not hold."""


class BrokerUnavailable(NewsumError):
    """The Celery broker cannot be reached."""


class InvalidArticleId(NewsumError):
    """An article id that is not a positive integer."""
