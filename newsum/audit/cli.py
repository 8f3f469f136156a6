"""The audit's subcommands of ``newsum``: ``faithfulness check`` and ``faithfulness calibrate``.

    newsum faithfulness check --data summaries.jsonl --out verdicts.jsonl
    newsum faithfulness calibrate --data labelled.jsonl --target-precision 0.97
    newsum faithfulness calibrate --from-reviews --target-precision 0.97
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from newsum.audit.check import CheckerKind
from newsum.cli_params import settings

faithfulness_app = typer.Typer(
    help="Audit summaries outside the pipeline: check a file, calibrate the entailment model.",
    no_args_is_help=True,
)
MODEL_HELP = "Entailment model (hub id or local path) instead of NEWSUM_FAITHFULNESS_MODEL."


@faithfulness_app.command("check")
def check_command(
    data: Annotated[Path, typer.Option(help="JSON lines: id, article (or title and body),"
                                       " summary, optional language.")],
    out: Annotated[Path, typer.Option(help="Where to write one verdict per line.")],
    checker: Annotated[
        CheckerKind | None,
        typer.Option(help="rules, entailment or both (default: both when a model is"
                     " configured, else rules)."),
    ] = None,
    model: Annotated[str | None, typer.Option(help=MODEL_HELP)] = None,
    threshold: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0,
                     help="Entailment threshold (default: the setting, else the latest"
                     " calibration, else 0.5)."),
    ] = None,
) -> None:
    """Check every summary of a file with the configured checker; write the verdicts."""
    from newsum.audit.check import configured_checker, run_check

    configured = configured_checker(settings(), kind=checker, model_name=model,
                                    threshold=threshold)
    typer.echo(run_check(data, out, configured).line())


@faithfulness_app.command("calibrate")
def calibrate_command(
    data: Annotated[
        Path | None,
        typer.Option(help="Labelled JSON lines (as for check, plus label: faithful or"
                     " unfaithful)."),
    ] = None,
    from_reviews: Annotated[
        bool,
        typer.Option("--from-reviews",
                     help="Take labels from the editors' audit trail instead: approved is"
                     " faithful; rejected, or edited because of a fact, is not."),
    ] = False,
    target_precision: Annotated[
        float, typer.Option(help="Share of faithful summaries among those published.")
    ] = 0.97,
    model: Annotated[str | None, typer.Option(help=MODEL_HELP)] = None,
    entailment_only: Annotated[
        bool,
        typer.Option(help="Calibrate the model alone, not combined with the rules as the"
                     " workers run it."),
    ] = False,
    plot: Annotated[
        Path | None,
        typer.Option(help="PNG of the curve (default: DATA_DIR/faithfulness-calibration.png)."),
    ] = None,
    save: Annotated[
        bool, typer.Option(help="Record the threshold in the database for the workers.")
    ] = True,
) -> None:
    """Choose the entailment threshold that reaches a target precision; record it."""
    from newsum.audit.calibrate import CalibrationRequest, run_calibration

    config = settings()
    request = CalibrationRequest(
        data=data, from_reviews=from_reviews, target_precision=target_precision,
        model_name=model or config.faithfulness_model, with_rules=not entailment_only,
        plot=plot or config.data_dir / "faithfulness-calibration.png", save=save,
    )
    run_calibration(request, config, echo=typer.echo)


def register(app: typer.Typer) -> None:
    """Attach the audit's commands to the root newsum app."""
    app.add_typer(faithfulness_app, name="faithfulness")
