"""The one configuration of a training run; ``newsum train`` fills it from its options."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from newsum.errors import ConfigInvalid

LLAMA_PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def _opt(default: Any, help: str, **extra: Any) -> Any:
    """A dataclass field with a default and the help line the CLI shows."""
    if isinstance(default, list | tuple):
        return field(
            default_factory=lambda: type(default)(default), metadata={"help": help, **extra}
        )
    return field(default=default, metadata={"help": help, **extra})


@dataclass
class TrainConfig:
    """QLoRA fine-tuning of a causal LM on article/summary pairs (defaults: Llama 2 7B, 1 GPU)."""

    # --- I/O -----------------------------------------------------------------------
    base_model: str = _opt("meta-llama/Llama-2-7b-hf", "Hub id or local path of the base model.")
    data_dir: Path = _opt(
        Path("data"), "Folder of train/validation/test JSONL (`newsum data prepare`)."
    )
    output_dir: Path = _opt(
        Path(".newsum/adapters/latest"), "Adapter directory to write (checkpoints inside)."
    )
    init_adapter: str | None = _opt(
        None,
        "Continue training this adapter (a directory or a registered version name, e.g. the"
        " active one) instead of new LoRA weights; its LoRA shape is kept.",
    )
    mix_data_dir: Path | None = _opt(
        None,
        "Also train on the train split of this prepared folder (e.g. the original pairs when"
        " DATA_DIR holds editors' feedback), so that the model does not forget.",
    )
    mix_ratio: float = _opt(1.0, "Pairs from MIX_DATA_DIR per training pair of DATA_DIR.")
    # --- model and LoRA ------------------------------------------------------------------
    quantization: Literal["nf4", "none"] = _opt(
        "nf4", "nf4: QLoRA on a 4-bit base; none: LoRA on a bf16 (GPU) / fp32 (CPU) base."
    )
    lora_r: int = _opt(16, "LoRA rank.")
    lora_alpha: int = _opt(32, "LoRA scaling numerator (scale = alpha / r).")
    lora_dropout: float = _opt(0.05, "Dropout on the LoRA input.")
    target_modules: list[str] = _opt(
        list(LLAMA_PROJECTIONS), "Linear layers that get LoRA (attention and MLP projections)."
    )
    gradient_checkpointing: bool = _opt(True, "Recompute activations: less memory, slower.")
    # --- data ------------------------------------------------------------------------
    max_input_tokens: int = _opt(1024, "Prompt budget; only the article is cut to fit.")
    max_summary_tokens: int = _opt(128, "Summary budget including EOS; also max new tokens.")
    max_train_examples: int | None = _opt(None, "Use at most this many training pairs.")
    # --- optimisation ------------------------------------------------------------------
    epochs: float = _opt(1.0, "Passes over the training pairs (ignored when max_steps > 0).")
    max_steps: int = _opt(-1, "Optimizer steps to run; -1: as many as the epochs need.")
    learning_rate: float = _opt(2e-4, "Peak learning rate.")
    warmup_ratio: float = _opt(0.03, "Share of the steps spent warming the learning rate up.")
    lr_scheduler: str = _opt("cosine", "Learning-rate schedule after warmup.")
    weight_decay: float = _opt(0.0, "AdamW weight decay.")
    batch_size: int = _opt(4, "Pairs per device per forward pass.")
    grad_accumulation: int = _opt(4, "Forward passes per optimizer step.")
    group_by_length: bool = _opt(True, "Batch pairs of similar length (less padding).")
    source_words: bool = _opt(
        True,
        "Decode names, figures and dates only as the article writes them (recorded in the"
        " manifest, so workers decode the same way).",
    )
    article_words: bool = _opt(
        False,
        "With source_words: write only words the article holds (a copy vocabulary, for small"
        " models that glue word pieces into words no language has).",
    )
    relations: bool = _opt(
        False,
        "With source_words: a role, predicate, day and figure only beside the name the article"
        " joins them to (newsum.modeling.relations).",
    )
    stop_when_refused: float | None = _opt(
        None,
        "With source_words: once a summary holds a whole sentence, end it there when the"
        " constraint refuses the model's next word (not a fact word) by more than this many"
        " nats, instead of writing what the constraint leaves it (off when unset).",
    )
    min_mean_logprob: float | None = _opt(
        None,
        "Hold a summary its own model finds unlikely: mean log-probability per token below"
        " this, read without the decoding constraint (off when unset).",
    )
    candidates: int = _opt(
        4,
        "Beam-search candidates tried, when a summary fails the faithfulness check, before it"
        " waits for review (1: no retry).",
    )
    # --- evaluation and checkpoints ---------------------------------------------------
    eval_steps: int = _opt(100, "Validation loss every N steps; 0 turns it off.")
    save_steps: int = _opt(200, "Checkpoint every N steps.")
    logging_steps: int = _opt(10, "Log the loss every N steps.")
    evaluate: bool = _opt(True, "Score ROUGE on the test split after training (3 systems).")
    eval_max_articles: int | None = _opt(200, "Test pairs the ROUGE evaluation uses at most.")
    generation_batch_size: int = _opt(8, "Articles per generation batch in the evaluation.")
    # --- system ------------------------------------------------------------------------
    seed: int = _opt(42, "Seed of initialisation, shuffling and dropout.")
    resume: Path | None = _opt(None, "Resume from this checkpoint folder (checkpoint-N).")
    device: str = _opt("auto", "auto, cpu, cuda or cuda:N (accelerate launch sets one per rank).")
    merge: bool = _opt(False, "Also write merged full weights (bf16/fp32) to OUTPUT_DIR/merged.")

    def __post_init__(self) -> None:
        """Refuse impossible values with a message that names the fix (TRL's habit)."""
        problems = _problems(self)
        if problems:
            raise ConfigInvalid("invalid training config: " + "; ".join(problems))

    @property
    def checkpoint_dir(self) -> Path:
        """Where the Trainer writes its checkpoints."""
        return self.output_dir / "checkpoints"


def _problems(config: TrainConfig) -> list[str]:
    from transformers import SchedulerType

    problems = [
        f"{name} must be at least 1, got {getattr(config, name)}"
        for name in ("lora_r", "lora_alpha", "batch_size", "grad_accumulation",
                     "generation_batch_size", "logging_steps", "save_steps", "max_input_tokens",
                     "candidates")
        if getattr(config, name) < 1
    ]
    if config.max_summary_tokens < 2:
        problems.append("max_summary_tokens must be at least 2 (a token and EOS)")
    for name in ("lora_dropout", "warmup_ratio"):
        if not 0 <= getattr(config, name) < 1:
            problems.append(f"{name} must be in [0, 1), got {getattr(config, name)}")
    if config.stop_when_refused is not None and config.stop_when_refused <= 0:
        problems.append(f"stop_when_refused must be positive, got {config.stop_when_refused}")
    if config.min_mean_logprob is not None and config.min_mean_logprob > 0:
        problems.append(f"min_mean_logprob must be at most 0, got {config.min_mean_logprob}")
    if config.mix_ratio <= 0:
        problems.append(f"mix_ratio must be positive, got {config.mix_ratio}")
    if config.learning_rate <= 0:
        problems.append(f"learning_rate must be positive, got {config.learning_rate}")
    if config.weight_decay < 0:
        problems.append(f"weight_decay must not be negative, got {config.weight_decay}")
    if config.max_steps == 0 or config.max_steps < -1:
        problems.append(f"max_steps must be positive or -1 (use epochs), got {config.max_steps}")
    if config.max_steps == -1 and config.epochs <= 0:
        problems.append(f"epochs must be positive, got {config.epochs}")
    if config.eval_steps < 0:
        problems.append(f"eval_steps must be 0 (off) or positive, got {config.eval_steps}")
    for name in ("max_train_examples", "eval_max_articles"):
        value = getattr(config, name)
        if value is not None and value < 1:
            problems.append(f"{name} must be at least 1 or unset, got {value}")
    schedulers = sorted(kind.value for kind in SchedulerType)
    if config.lr_scheduler not in schedulers:
        problems.append(
            f"lr_scheduler {config.lr_scheduler!r} is not one of {', '.join(schedulers)}"
        )
    if not config.target_modules:
        problems.append("target_modules must name at least one layer")
    return problems
