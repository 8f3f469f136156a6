"""QLoRA training on the synthetic corpus: it learns the task, and its output reloads exactly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsum.modeling.manifest import AdapterManifest
from newsum.trainer.data import load_split
from tests.adapter_fixtures import TrainedAdapter

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("offline_hub", "one_thread")]


def _eval_json(adapter_dir: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((adapter_dir / "eval" / "eval.json").read_text(encoding="utf-8"))


def test_qlora_adapter_beats_the_base_model_zero_shot_on_held_out_articles(
    trained_adapter: TrainedAdapter,
) -> None:
    metrics = _eval_json(trained_adapter.path)["metrics"]
    print((trained_adapter.path / "eval" / "eval.txt").read_text())
    print(f"training took {trained_adapter.seconds:.0f}s")

    assert metrics["adapter"]["rougeLsum"] >= metrics["base"]["rougeLsum"] + 0.10
    assert metrics["adapter"]["rouge1"] > metrics["base"]["rouge1"]
    assert metrics["adapter"]["failures"] == 0


def test_adapter_directory_holds_the_contract_files(trained_adapter_dir: Path) -> None:
    names = {p.name for p in trained_adapter_dir.iterdir()}
    manifest = AdapterManifest.load(trained_adapter_dir)

    assert {"adapter_config.json", "adapter_model.safetensors", "manifest.json"} <= names
    assert {"tokenizer.json", "tokenizer_config.json", "README.md", "loss_curve.png"} <= names
    assert not any(name.endswith((".bin", ".pt", ".pkl")) for name in names)
    assert manifest.quantization.method == "nf4"
    assert manifest.quantization.double_quant is True
    assert manifest.metrics["adapter"]["rougeLsum"] > 0
    assert manifest.data_fingerprint and manifest.base_model_fingerprint
    card = (trained_adapter_dir / "README.md").read_text(encoding="utf-8")
    assert "ROUGE-Lsum" in card
    # The test pairs carry fact records: the card states the truth it measured, no more.
    assert manifest.metrics["adapter"]["fact_accuracy"] is not None
    assert f"{manifest.metrics['adapter']['fact_accuracy'] * 100:.1f}% of the adapter's" in card
    examples = (trained_adapter_dir / "eval" / "examples.md").read_text(encoding="utf-8")
    assert "**adapter**" in examples and "**lead-3**" in examples


RELOAD = """
import json, sys, torch
from pathlib import Path
torch.set_num_threads(1)  # as the evaluation in the fixture
from newsum.modeling.checking import summary_checker
from newsum.modeling.generation import summarize_batch
from newsum.modeling.loading import load_for_inference
from newsum.trainer.data import load_split
adapter, test_split = sys.argv[1], sys.argv[2]
count, batch_size = int(sys.argv[3]), int(sys.argv[4])
pairs = load_split(Path(test_split))[:count]
loaded = load_for_inference(adapter, precision="nf4", device="cpu")
# As a worker does: generated, checked, retried.
results = summarize_batch(loaded, [(p.title, p.article) for p in pairs], batch_size=batch_size,
                          checker=summary_checker(loaded.manifest),
                          languages=[p.language for p in pairs])
print(json.dumps([r.text for r in results]))
"""


def test_adapter_reloads_in_a_fresh_process_and_reproduces_the_evaluation(
    trained_adapter: TrainedAdapter,
) -> None:
    config = trained_adapter.config
    expected = _eval_json(trained_adapter.path)["outputs"]["adapter"]
    command = [
        sys.executable, "-c", RELOAD, str(trained_adapter.path),
        str(config.data_dir / "test.jsonl"), str(config.eval_max_articles),
        str(config.generation_batch_size),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}

    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == expected
    assert len(set(expected)) > 1  # real, article-specific summaries


def test_training_resumes_from_a_checkpoint(
    trained_adapter: TrainedAdapter, tmp_path: Path
) -> None:
    from dataclasses import replace

    from newsum.trainer.train import train

    # The run keeps its last two checkpoints; resume from the older one.
    kept = sorted(trained_adapter.config.checkpoint_dir.glob("checkpoint-*"),
                  key=lambda folder: int(folder.name.split("-")[1]))
    checkpoint, step = kept[0], int(kept[0].name.split("-")[1])
    config = replace(
        trained_adapter.config,
        output_dir=tmp_path / "resumed",
        resume=checkpoint,
        max_steps=step + 5,
        evaluate=False,
        eval_steps=0,
    )

    result = train(config)

    assert result.steps == step + 5
    state = json.loads(
        (config.checkpoint_dir / f"checkpoint-{step + 5}" / "trainer_state.json").read_text()
    )
    logged_steps = [entry["step"] for entry in state["log_history"] if "loss" in entry]
    # The history is carried over from the checkpoint: every ten steps up to it.
    assert logged_steps[: step // 10] == list(range(10, step + 1, 10))
    assert (config.output_dir / "adapter_model.safetensors").is_file()


def test_test_split_pairs_are_not_in_the_training_split(trained_adapter: TrainedAdapter) -> None:
    data_dir = trained_adapter.config.data_dir
    train_ids = {p.id for p in load_split(data_dir / "train.jsonl")}
    test_ids = {p.id for p in load_split(data_dir / "test.jsonl")}

    assert test_ids and not train_ids & test_ids


def test_full_precision_lora_trains_and_exports_an_unquantized_adapter(
    tiny_model_dir: Path, prepared_data_dir: Path, tmp_path: Path
) -> None:
    from dataclasses import replace

    from newsum.modeling.generation import GeneratedSummary, summarize_batch
    from newsum.modeling.loading import load_for_inference
    from newsum.trainer.train import train
    from tests.adapter_fixtures import adapter_training_config

    config = replace(
        adapter_training_config(tiny_model_dir, prepared_data_dir, tmp_path / "lora"),
        quantization="none",
        max_steps=3,
        evaluate=False,
        eval_steps=0,
    )

    result = train(config)
    manifest = AdapterManifest.load(result.adapter_dir)
    loaded = load_for_inference(result.adapter_dir, precision="fp32", device="cpu")

    assert result.steps == 3
    assert manifest.quantization.method == "none"
    assert manifest.quantization.compute_dtype == "float32"
    assert isinstance(
        summarize_batch(loaded, [("T", "Body text.")], batch_size=1)[0], GeneratedSummary
    )
