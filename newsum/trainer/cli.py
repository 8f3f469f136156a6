"""The trainer's subcommands of ``newsum``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

data_app = typer.Typer(help="Prepare and inspect article/summary training data.",
                       no_args_is_help=True)


@data_app.command("prepare")
def data_prepare(
    source: Annotated[
        str | None,
        typer.Argument(help="A .jsonl/.csv/.parquet file or a Hugging Face dataset name."),
    ] = None,
    out: Annotated[Path, typer.Option(help="Directory for the split files.")] = Path("data"),
    from_db: Annotated[
        bool, typer.Option("--from-db", help="Read the newsroom's articles with a summary.")
    ] = False,
    from_feedback: Annotated[
        bool,
        typer.Option("--from-feedback",
                     help="Read editors' approved and edited summaries (the review queue)."),
    ] = False,
    model_version: Annotated[
        str | None, typer.Option(help="With --from-feedback: only this version's reviews.")
    ] = None,
    article_column: Annotated[str, typer.Option(help="Column holding the article.")] = "article",
    summary_column: Annotated[str, typer.Option(help="Column holding the summary.")] = "summary",
    id_column: Annotated[str, typer.Option(help="Column holding the article id.")] = "id",
    title_column: Annotated[str, typer.Option(help="Column holding the headline.")] = "title",
    language_column: Annotated[
        str, typer.Option(help="Column holding the language code, when there is one.")
    ] = "language",
    keep_unsupported: Annotated[
        bool,
        typer.Option(help="Keep (and only count) pairs whose reference names what the"
                     " article lacks; by default they are dropped."),
    ] = False,
    hf_config: Annotated[
        str | None, typer.Option(help="Hub dataset configuration, e.g. 3.0.0.")
    ] = None,
    hf_split: Annotated[str, typer.Option(help="Hub dataset split to read.")] = "train",
    train: Annotated[float, typer.Option(help="Share of articles for training.")] = 0.8,
    validation: Annotated[float, typer.Option(help="Share for validation.")] = 0.1,
    test: Annotated[float, typer.Option(help="Share for the test split.")] = 0.1,
) -> None:
    """Load, clean and split article/summary pairs into train/validation/test JSONL.

    Splits go by a hash of the article id, so an article is in the same split whatever
    the source: editors' feedback on a test article stays out of training.
    """
    from newsum.errors import DataInvalid
    from newsum.trainer import sources
    from newsum.trainer.data import SplitFractions, prepare

    fractions = SplitFractions(train=train, validation=validation, test=test)
    mapping = sources.ColumnMapping(
        article=article_column, summary=summary_column, id=id_column, title=title_column,
        language=language_column,
    )
    if from_feedback:
        from newsum.cli_params import settings

        pairs = sources.load_pairs_from_feedback(settings(), model_version)
        label = "editors' feedback"
    elif from_db:
        from newsum.cli_params import settings

        pairs, label = sources.load_pairs_from_database(settings()), "newsroom database"
    elif source is None:
        raise DataInvalid("name a data file or dataset, or pass --from-db")
    elif Path(source).suffix.lower() in sources.FILE_SUFFIXES or Path(source).exists():
        pairs, label = sources.load_pairs_from_file(Path(source), mapping), source
    else:
        pairs = sources.load_pairs_from_hub(source, mapping, config=hf_config, split=hf_split)
        label = source
    prepared = prepare(
        pairs, out, source=label, fractions=fractions, drop_unsupported=not keep_unsupported
    )
    cleaning = prepared.cleaning
    typer.echo(
        f"{out}: train {prepared.sizes['train']}, validation {prepared.sizes['validation']},"
        f" test {prepared.sizes['test']} (read {cleaning['total']}, dropped"
        f" {cleaning['dropped']}: empty {cleaning['empty']}, duplicate {cleaning['duplicate']},"
        f" duplicate id {cleaning['duplicate_id']},"
        f" summary not shorter {cleaning['summary_not_shorter']});"
        f" {cleaning['unsupported_reference']} reference(s) name what their article lacks"
        f" ({'kept' if keep_unsupported else 'dropped'})"
    )
    if from_feedback:
        edited = sum(pair.feedback == "edited" for pair in pairs)
        typer.echo(f"editors' feedback: {edited} edited, {len(pairs) - edited} approved as written")


@data_app.command("report")
def data_report(
    data_dir: Annotated[Path, typer.Argument(help="Directory written by `data prepare`.")],
    tokenizer: Annotated[str, typer.Option(help="Tokenizer path or hub id.")],
) -> None:
    """Print split sizes and token-length percentiles of articles and summaries."""
    from newsum.trainer.data import format_length_report, token_length_report

    typer.echo(format_length_report(token_length_report(data_dir, tokenizer)))


def register(app: typer.Typer) -> None:
    """Attach the trainer's commands to the root newsum app."""
    from newsum.trainer.commands import register as register_training

    app.add_typer(data_app, name="data")
    register_training(app)
