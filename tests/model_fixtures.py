"""Session fixtures for the tiny foundation model, built once per test run."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsum.sandbox.corpus import NewsItem, generate_corpus
from newsum.sandbox.recipe import RECIPE


@pytest.fixture(scope="session")
def tiny_corpus() -> list[NewsItem]:
    """The synthetic articles the tiny model was pre-trained on (same seed and count)."""
    return generate_corpus(RECIPE.articles, seed=RECIPE.seed)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the tiny tokenizer and LlamaForCausalLM (Auto classes load it)."""
    # Imported here so that test sessions that never build the model skip loading torch.
    import torch

    from newsum.sandbox.tiny import build_tiny_model

    out_dir = tmp_path_factory.mktemp("tiny-model")
    threads = torch.get_num_threads()
    # One thread: two gain less than 2x on an idle machine, and on a busy one two
    # threads waiting on each other run several times slower.
    torch.set_num_threads(1)
    try:
        return build_tiny_model(out_dir)  # the demo's recipe
    finally:
        torch.set_num_threads(threads)
