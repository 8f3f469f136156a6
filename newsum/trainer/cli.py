"""The trainer's subcommands of ``newsum``."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach the trainer's commands to the root newsum app."""
    from newsum.trainer.commands import register as register_training

    register_training(app)
