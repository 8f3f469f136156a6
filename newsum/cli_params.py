"""What every ``newsum`` subcommand shares: the settings, and options made from a dataclass.

The root CLI and each package's ``cli`` module import from here, never from each other,
so no command module depends on another.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from typing import Annotated

import typer

from newsum.config import Settings, get_settings


def settings() -> Settings:
    """The effective settings for this command (the environment, ``--config`` and defaults)."""
    return get_settings()


def config_parameters(cls: type) -> list[inspect.Parameter]:
    """One typer option per dataclass field, with the field's default and help."""
    hints = typing.get_type_hints(cls)
    parameters = []
    for item in dataclasses.fields(cls):
        annotation = hints[item.name]
        default = item.default
        if default is dataclasses.MISSING:
            default = item.default_factory()  # type: ignore[misc]
        parameters.append(
            inspect.Parameter(
                item.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=default,
                annotation=Annotated[annotation, typer.Option(help=item.metadata["help"])],
            )
        )
    return parameters
