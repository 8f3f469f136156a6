"""Session fixtures for a trained adapter, and the offline switch for model loading."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture
def offline_hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The model hub is unreachable for this test, as on every machine that tests newsum."""
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    yield
