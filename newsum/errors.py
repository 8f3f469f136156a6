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


class DataInvalid(NewsumError):
    """A training data file cannot be read as article/summary pairs."""


class DataSourceUnavailable(NewsumError):
    """A training data source (the dataset hub, the newsroom table) cannot be used."""


class InvalidArticleId(NewsumError):
    """An article id that is not a positive integer."""


class ApiMisconfigured(NewsumError):
    """The HTTP API or Flower cannot start safely with the current settings."""
