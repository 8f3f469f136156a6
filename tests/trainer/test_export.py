"""Merged weights and the adapter registry (``newsum adapters``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM
from typer.testing import CliRunner

from newsum.cli import _register_subcommands, app
from newsum.modeling.generation import summarize_batch
from newsum.modeling.loading import LoadedModel, load_for_inference, load_tokenizer
from newsum.modeling.manifest import AdapterManifest
from newsum.trainer.data import load_split
from newsum.trainer.export import merge_adapter

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("offline_hub", "one_thread")]


def test_merged_weights_load_without_peft_and_summarize_like_the_adapter(
    trained_adapter_dir: Path, prepared_data_dir: Path, tmp_path: Path
) -> None:
    merged_dir = merge_adapter(trained_adapter_dir, tmp_path / "merged", device="cpu")
    articles = [(p.title, p.article) for p in load_split(prepared_data_dir / "test.jsonl")[:4]]

    plain = AutoModelForCausalLM.from_pretrained(merged_dir)  # no LoRA code involved
    manifest = AdapterManifest.load(trained_adapter_dir)
    merged = LoadedModel(plain.eval(), load_tokenizer(merged_dir), manifest, "fp32")
    adapter = load_for_inference(trained_adapter_dir, precision="fp32", device="cpu")

    assert (merged_dir / "model.safetensors").is_file()
    assert not (merged_dir / "adapter_config.json").exists()
    assert plain.dtype == torch.float32
    merged_texts = [r.text for r in summarize_batch(merged, articles, batch_size=4)]  # type: ignore[union-attr]
    adapter_texts = [r.text for r in summarize_batch(adapter, articles, batch_size=4)]  # type: ignore[union-attr]
    assert merged_texts == adapter_texts


@pytest.fixture
def newsum_cli(monkeypatch: pytest.MonkeyPatch, database_url: str):  # type: ignore[no-untyped-def]
    """Invoke ``newsum`` in-process against a fresh, migrated database."""
    from newsum.config import get_settings

    monkeypatch.setenv("NEWSUM_DATABASE_URL", database_url)
    get_settings.cache_clear()
    _register_subcommands()
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    invoke("db", "upgrade")
    return invoke


def test_adapters_register_promote_and_list_one_active_version(
    newsum_cli, trained_adapter_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    registered = newsum_cli("adapters", "register", str(trained_adapter_dir), "--name", "v1")
    newsum_cli("adapters", "register", str(trained_adapter_dir), "--name", "v2")
    newsum_cli("adapters", "promote", "v1")
    newsum_cli("adapters", "promote", "v2")
    listing = newsum_cli("adapters", "list")

    assert "registered v1" in registered
    active = [line for line in listing.splitlines() if line.startswith("*")]
    assert len(active) == 1 and " v2 " in active[0]
    assert "ROUGE-Lsum" in active[0]
    assert str(trained_adapter_dir.resolve()) in listing
