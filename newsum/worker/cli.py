"""The worker's subcommands of ``newsum``."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach the worker's commands to the root newsum app."""
