"""Exceptions a user can act on. The CLI prints their message as one line and exits 1."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


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


class ManifestError(NewsumError):
    """An adapter directory has no valid manifest.json."""


class ModelNotFound(NewsumError):
    """A base model or adapter that cannot be found locally nor fetched."""


class UnsafeAdapterWeights(NewsumError):
    """An adapter ships only pickle weights; newsum loads safetensors only."""


class BaseModelMismatch(NewsumError):
    """An adapter was trained on a different base model than the one requested."""


class PromptTooLong(NewsumError):
    """The prompt's fixed parts (template and title) exceed the input token budget."""


class NoTargetModules(NewsumError):
    """The base model has none of the configured LoRA target modules."""


class NotACheckpoint(NewsumError):
    """--resume names a directory that is not a training checkpoint."""


class DataInvalid(NewsumError):
    """A training data file cannot be read as article/summary pairs."""


class DataSourceUnavailable(NewsumError):
    """A training data source (the dataset hub, the newsroom table) cannot be used."""


class InvalidArticleId(NewsumError, ValueError):
    """An article id that is not a positive 64-bit integer."""


class ApiMisconfigured(NewsumError):
    """The HTTP API or Flower cannot start safely with the current settings."""


class UnknownEditor(NewsumError):
    """An editor name with no active account (`newsum editors list` shows them)."""


class UnknownToken(NewsumError):
    """An editor API token id that does not exist."""


class PasswordRefused(NewsumError):
    """A new password newsum will not store (too short, too common); says what to choose."""


class LoginThrottled(NewsumError):
    """Too many failed sign-ins for an account or from an address; retry after a while."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class LoginBusy(NewsumError):
    """More sign-ins wait for a password check than the API lets wait."""


class EditorExists(NewsumError):
    """An editor account of that name exists already."""


class EditorNameInvalid(NewsumError, ValueError):
    """An editor name newsum does not accept."""


class SummaryNotFound(NewsumError):
    """No summary row for that article and model version."""


class ReviewInvalid(NewsumError, ValueError):
    """A review action that cannot be applied as asked (no text for an edit...)."""


class ReviewConflict(NewsumError):
    """A review action that does not apply to the summary as it stands now."""


class ConfigInvalid(NewsumError):
    """A training configuration with an impossible value; the message names the fix."""


class SettingsInvalid(NewsumError):
    """A setting (environment, config file or argument) is invalid or contradicts another."""


class EntailmentModelInvalid(NewsumError):
    """A faithfulness model that is not a sequence classifier with an entailment label."""


class AuditDataInvalid(NewsumError):
    """A summaries file to check or calibrate on has a malformed line; nothing was written."""


class CalibrationUnreachable(NewsumError):
    """No threshold reaches the target on these labels; nothing was recorded."""


def validation_problems(exc: ValidationError, root: str = "") -> str:
    """A pydantic error as one line: ``field: message; other.field: message``.

    An error of the whole object (a relation between fields) is prefixed with ``root``.
    """
    return "; ".join(
        (f"{'.'.join(str(part) for part in error['loc'])}: " if error["loc"] else
         f"{root}: " if root else "")
        + error["msg"].removeprefix("Value error, ")
        for error in exc.errors()
    )
