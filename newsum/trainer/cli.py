"""The trainer's subcommands of ``newsum``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

data_app = typer.Typer(help="Prepare and inspect article/summary training data.",
                       no_args_is_help=True)
model_app = typer.Typer(help="Build the project's own small models.", no_args_is_help=True)


@model_app.command("build-tiny")
def model_build_tiny(
    out: Annotated[Path, typer.Option(help="Directory to write the model and tokenizer to.")],
    seed: Annotated[int, typer.Option(help="Seed of the corpus and of the weights.")] = 0,
    articles: Annotated[int, typer.Option(help="Synthetic articles to train on.")] = 600,
    steps: Annotated[int, typer.Option(help="Pre-training steps.")] = 160,
) -> None:
    """Train a tokenizer and a tiny Llama model on the synthetic corpus."""
    import json

    from newsum.trainer.tiny import build_tiny_model

    out_dir = build_tiny_model(out, seed=seed, n_articles=articles, pretrain_steps=steps)
    info = json.loads((out_dir / "build_info.json").read_text())
    typer.echo(
        f"{out_dir}: {info['parameters']:,} parameters, vocab {info['vocab_size']},"
        f" loss {info['first_loss']:.2f} -> {info['final_loss']:.2f} in {info['seconds']:.0f}s"
    )


def register(app: typer.Typer) -> None:
    """Attach the trainer's commands to the root newsum app."""
    from newsum.trainer.commands import register as register_training

    app.add_typer(data_app, name="data")
    app.add_typer(model_app, name="model")
    register_training(app)
