"""Session fixture for the tiny entailment classifier, built once per test run (~45 s)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_classifier_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the tiny tokenizer and sequence classifier (Auto classes load it)."""
    import torch

    from harness.tiny_classifier import build_tiny_classifier

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as for the tiny LM: one thread is faster on a busy machine
    try:
        return build_tiny_classifier(tmp_path_factory.mktemp("tiny-classifier"))
    finally:
        torch.set_num_threads(threads)
