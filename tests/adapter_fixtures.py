"""Session fixtures for a QLoRA adapter trained on the tiny model, and the offline switch.

The adapter is trained once per test run (about two minutes on two cores) through the
real ``newsum train`` pipeline: prepared splits, 4-bit NF4 base, LoRA, the Trainer,
ROUGE evaluation of three systems and the export of the adapter directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from newsum.sandbox.recipe import tiny_model_config
from newsum.trainer.config import TrainConfig

DATA_SEED = 1  # a corpus the tiny model was not pre-trained on
DATA_ARTICLES = 900


@pytest.fixture
def offline_hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The model hub is unreachable for this test, as on every machine that tests newsum."""
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    yield


@pytest.fixture
def one_thread() -> Iterator[None]:
    """torch on one thread for this test (faster on a busy machine), restored afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def prepared_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """train/validation/test JSONL of a synthetic corpus, through ``newsum data prepare``."""
    from newsum.sandbox.corpus import fact_record, generate_corpus
    from newsum.trainer.data import Pair, SplitFractions, prepare

    out = tmp_path_factory.mktemp("prepared")
    # With the fact records the articles were written from, so that the evaluation
    # measures truth too.
    pairs = [
        Pair(str(item.id), item.title, item.body, item.summary, facts=fact_record(item.facts))
        for item in generate_corpus(DATA_ARTICLES, seed=DATA_SEED)
    ]
    prepare(pairs, out, source="synthetic corpus", fractions=SplitFractions())
    return out


def adapter_training_config(base_model: Path, data_dir: Path, output_dir: Path) -> TrainConfig:
    """The brief QLoRA run the tests use: enough to beat the base model clearly."""
    return tiny_model_config(base_model, data_dir, output_dir)


@dataclass
class TrainedAdapter:
    """The fixture's adapter directory with the config and timing of its training."""

    path: Path
    config: TrainConfig
    seconds: float


@pytest.fixture(scope="session")
def trained_adapter(
    tiny_model_dir: Path, prepared_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> TrainedAdapter:
    """A QLoRA adapter trained, evaluated and exported by ``newsum.trainer.train``."""
    from newsum.trainer.train import train

    config = adapter_training_config(
        tiny_model_dir, prepared_data_dir, tmp_path_factory.mktemp("adapter")
    )
    threads = torch.get_num_threads()
    # One thread: on a busy 2-core machine, two threads waiting on each other run the
    # training several times slower (24 s against 170 s measured), for the same result.
    torch.set_num_threads(1)
    try:
        result = train(config)
    finally:
        torch.set_num_threads(threads)
    return TrainedAdapter(result.adapter_dir, config, result.seconds)


@pytest.fixture(scope="session")
def trained_adapter_dir(trained_adapter: TrainedAdapter) -> Path:
    """Adapter directory: adapter_config.json, adapter_model.safetensors, tokenizer, manifest."""
    return trained_adapter.path
