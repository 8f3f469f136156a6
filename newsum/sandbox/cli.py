"""The sandbox's commands: ``newsum model build-tiny`` and ``newsum demo``."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Annotated

import typer

from newsum.cli_params import config_parameters
from newsum.sandbox.demo import DemoConfig
from newsum.sandbox.recipe import RECIPE

model_app = typer.Typer(help="Build the project's own small models.", no_args_is_help=True)


@model_app.command("build-tiny")
def model_build_tiny(
    out: Annotated[Path, typer.Option(help="Directory to write the model and tokenizer to.")],
    seed: Annotated[int, typer.Option(help="Seed of the corpus and of the weights.")] = RECIPE.seed,
    articles: Annotated[
        int, typer.Option(help="Synthetic articles to train on.")
    ] = RECIPE.articles,
    steps: Annotated[int, typer.Option(help="Pre-training steps.")] = RECIPE.pretrain_steps,
) -> None:
    """Train a tokenizer and a tiny Llama model on the synthetic corpus."""
    from newsum.sandbox.tiny import build_tiny_model

    out_dir = build_tiny_model(out, seed=seed, n_articles=articles, pretrain_steps=steps)
    info = json.loads((out_dir / "build_info.json").read_text())
    typer.echo(
        f"{out_dir}: {info['parameters']:,} parameters, vocab {info['vocab_size']},"
        f" loss {info['first_loss']:.2f} -> {info['final_loss']:.2f} in {info['seconds']:.0f}s"
    )


def demo_command(**options: object) -> None:
    """Run the whole product offline: newsroom, tiny model, QLoRA, worker, summaries."""
    from newsum.sandbox.demo import run_demo

    run_demo(DemoConfig(**options))  # type: ignore[arg-type]


def register(app: typer.Typer) -> None:
    """Attach the sandbox's commands to the root newsum app."""
    app.add_typer(model_app, name="model")
    demo_command.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        config_parameters(DemoConfig)
    )
    app.command("demo")(demo_command)
