"""``newsum train``, ``newsum eval`` and ``newsum adapters list|register|promote``.

``newsum train`` takes one option per :class:`~newsum.trainer.config.TrainConfig` field,
generated from the dataclass, so the config's defaults and help lines are the only ones.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from newsum.cli_params import config_parameters
from newsum.config import Precision
from newsum.trainer.config import TrainConfig

adapters_app = typer.Typer(help="Registered adapters (model versions).", no_args_is_help=True)


def train_command(**options: Any) -> None:
    """Fine-tune a base model with QLoRA on prepared pairs; write an evaluated adapter."""
    from newsum.trainer.train import train

    if options.get("init_adapter"):
        options["init_adapter"] = str(adapter_location(options["init_adapter"]))
    result = train(TrainConfig(**options))
    typer.echo(
        f"{result.adapter_dir}: {result.steps} steps in {result.seconds:.0f}s,"
        f" train loss {result.train_loss:.3f}, {result.tokens_per_second:.0f} tokens/s"
    )
    if result.peak_gpu_memory_bytes:
        typer.echo(f"peak GPU memory {result.peak_gpu_memory_bytes / 2**30:.2f} GiB")
    if result.report is not None:
        typer.echo(result.report.table())


train_command.__signature__ = inspect.Signature(config_parameters(TrainConfig))  # type: ignore[attr-defined]


def adapter_location(name_or_path: str) -> Path:
    """An adapter directory as given, or the one of the registered version of that name."""
    path = Path(name_or_path)
    if path.is_dir():
        return path
    from newsum.db.registry import find_model_version

    with _session() as session:
        return Path(find_model_version(session, name_or_path).adapter_path)


def eval_command(
    adapter: Annotated[Path, typer.Argument(help="Adapter directory to evaluate.")],
    data_dir: Annotated[Path, typer.Option(help="Folder holding test.jsonl.")] = Path("data"),
    split: Annotated[str, typer.Option(help="Split file to score (without .jsonl).")] = "test",
    base_model: Annotated[
        str | None, typer.Option(help="Local copy of the manifest's base model.")
    ] = None,
    precision: Annotated[Precision, typer.Option(help="Base model precision.")] = "nf4",
    max_articles: Annotated[int | None, typer.Option(help="Score at most N pairs.")] = 200,
    batch_size: Annotated[int, typer.Option(help="Articles per generation batch.")] = 8,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda or cuda:N.")] = "auto",
    out: Annotated[Path | None, typer.Option(help="Report folder (default ADAPTER/eval).")] = None,
    previous: Annotated[
        str | None,
        typer.Option(help="Score this version (directory or registered name) in the base"
                     " model's place: N against N+1, e.g. on editors' feedback pairs."),
    ] = None,
) -> None:
    """ROUGE, faithfulness and (where pairs carry fact records) truth of lead-3, the base
    model (or a previous version) and the adapter, side by side."""
    from newsum.errors import DataInvalid
    from newsum.modeling.manifest import AdapterManifest
    from newsum.trainer.data import SPLITS, load_split
    from newsum.trainer.evaluate import evaluate_systems, write_report
    from newsum.trainer.scoring import lexicon_of

    AdapterManifest.load(adapter)  # refuse a non-adapter before reading any data
    split_file = data_dir / f"{split}.jsonl"
    if not split_file.is_file():
        raise DataInvalid(f"{split_file} does not exist: run `newsum data prepare`")
    pairs = load_split(split_file)[:max_articles]
    # The judge of fact records knows the corpus's words, roles and events from every split.
    corpus = [pair for name in SPLITS if (data_dir / f"{name}.jsonl").is_file()
              for pair in load_split(data_dir / f"{name}.jsonl")]
    report = evaluate_systems(
        pairs,
        adapter_dir=adapter,
        base_model=base_model,
        precision=precision,
        batch_size=batch_size,
        device=device,
        previous_adapter=adapter_location(previous) if previous else None,
        lexicon=lexicon_of(corpus),
    )
    folder = write_report(report, out or adapter / "eval")
    typer.echo(report.table())
    typer.echo(f"report: {folder}")


def merge_command(
    adapter: Annotated[Path, typer.Argument(help="Adapter directory.")],
    out: Annotated[Path, typer.Option(help="Folder for the merged model.")],
    precision: Annotated[
        Literal["bf16", "fp32"] | None, typer.Option(help="Default: bf16 on GPU, fp32 on CPU.")
    ] = None,
    base_model: Annotated[str | None, typer.Option(help="Local copy of the base.")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda or cuda:N.")] = "auto",
) -> None:
    """Write full merged weights (safetensors) for servers without LoRA support."""
    from newsum.trainer.export import merge_adapter

    folder = merge_adapter(adapter, out, precision=precision, base_model=base_model, device=device)
    typer.echo(f"merged model: {folder}")


@adapters_app.command("list")
def adapters_list() -> None:
    """Registered model versions, newest first; * marks the active one."""
    from newsum.db.registry import list_model_versions

    with _session() as session:
        versions = list_model_versions(session)
        if not versions:
            typer.echo("no model versions: `newsum adapters register DIR` adds one")
        for v in versions:
            rouge = v.metrics.get("adapter", {}).get("rougeLsum")
            score = f"ROUGE-Lsum {rouge * 100:.2f}" if rouge is not None else "not evaluated"
            mark = "*" if v.is_active else " "
            typer.echo(f"{mark} {v.name}  {v.base_model}  {score}  {v.adapter_path}")


@adapters_app.command("register")
def adapters_register(
    adapter: Annotated[Path, typer.Argument(help="Adapter directory with manifest.json.")],
    name: Annotated[str | None, typer.Option(help="Version name (default: folder name).")] = None,
) -> None:
    """Record an adapter as a model version (inactive until promoted)."""
    from newsum.db.registry import register_model_version
    from newsum.modeling.loading import check_adapter_weights
    from newsum.modeling.manifest import AdapterManifest

    manifest = AdapterManifest.load(adapter)
    check_adapter_weights(adapter)
    with _session() as session:
        version = register_model_version(
            session,
            name=name or adapter.resolve().name,
            adapter_path=str(adapter.resolve()),
            base_model=manifest.base_model,
            manifest=manifest.model_dump(mode="json"),
            metrics=manifest.metrics,
        )
        typer.echo(f"registered {version.name} (id {version.id}) on {manifest.base_model}")


@adapters_app.command("promote")
def adapters_promote(
    name: Annotated[str, typer.Argument(help="Name or id of the version to serve.")],
) -> None:
    """Make one model version the active one (every other becomes inactive)."""
    from newsum.db.registry import promote_model_version

    with _session() as session:
        version = promote_model_version(session, name)
        typer.echo(f"{version.name} is now the active model version")


def _session() -> Any:
    """A transaction on the configured database (committed on success)."""
    from newsum.cli_params import settings
    from newsum.db.engine import check_connection, make_engine, transaction

    engine = make_engine(settings().database_url)
    check_connection(engine)
    return transaction(engine)


def register(app: typer.Typer) -> None:
    """Attach train, eval, merge and adapters to the root app."""
    app.command("train")(train_command)
    app.command("eval")(eval_command)
    app.command("merge")(merge_command)
    app.add_typer(adapters_app, name="adapters")
