"""A training config refuses impossible values before any model is loaded."""

from __future__ import annotations

import pytest

from newsum.errors import ConfigInvalid
from newsum.trainer.config import TrainConfig


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"lora_r": 0}, "lora_r must be at least 1"),
        ({"batch_size": 0}, "batch_size must be at least 1"),
        ({"grad_accumulation": -1}, "grad_accumulation must be at least 1"),
        ({"lora_dropout": 1.0}, "lora_dropout must be in [0, 1)"),
        ({"warmup_ratio": -0.1}, "warmup_ratio must be in [0, 1)"),
        ({"learning_rate": 0.0}, "learning_rate must be positive"),
        ({"max_steps": 0}, "max_steps must be positive or -1"),
        ({"epochs": 0.0}, "epochs must be positive"),
        ({"lr_scheduler": "cosin"}, "lr_scheduler 'cosin' is not one of"),
        ({"max_summary_tokens": 1}, "max_summary_tokens must be at least 2"),
        ({"eval_max_articles": 0}, "eval_max_articles must be at least 1 or unset"),
        ({"target_modules": []}, "target_modules must name at least one layer"),
    ],
)
def test_an_impossible_value_is_refused_naming_the_field(
    options: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigInvalid) as caught:
        TrainConfig(**options)  # type: ignore[arg-type]
    assert str(caught.value).startswith("invalid training config: ")
    assert message in str(caught.value)


def test_every_problem_is_named_at_once_and_the_defaults_are_valid() -> None:
    TrainConfig()
    with pytest.raises(ConfigInvalid) as caught:
        TrainConfig(lora_r=0, batch_size=0)
    assert "lora_r" in str(caught.value) and "batch_size" in str(caught.value)
