"""``newsum train``: QLoRA fine-tuning, read top to bottom in :func:`train`.

prepare (data, tokenizer) -> load (4-bit base + LoRA) -> train (transformers Trainer)
-> evaluate (ROUGE of the saved adapter, through the worker's generation path)
-> export (manifest with metrics, model card, optional merged weights).

Nothing here moves tensors between devices: ``from_pretrained`` places the base on this
process's device and the Trainer (through accelerate) handles the rest, so
``accelerate launch -m newsum train ...`` runs data-parallel without code changes.
"""

from __future__ import annotations

import copy
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from datasets import Dataset
from transformers import DataCollatorForSeq2Seq, PreTrainedTokenizerBase, Trainer, set_seed
from transformers import TrainingArguments as HFTrainingArguments
from transformers.trainer_utils import get_last_checkpoint

from newsum.errors import DataInvalid, NotACheckpoint, NoTargetModules
from newsum.modeling.loading import (
    Precision,
    base_model_fingerprint,
    base_model_revision,
    check_same_base,
    fit_embeddings,
    load_base_model,
    load_config,
    load_tokenizer,
    quantization_settings,
    release_memory,
    resolve_device,
)
from newsum.modeling.manifest import AdapterManifest, GenerationParams
from newsum.modeling.prompt import DEFAULT_TEMPLATE, build_training_example
from newsum.trainer.config import TrainConfig
from newsum.trainer.data import SPLITS, Pair, load_split
from newsum.trainer.evaluate import EvalReport, evaluate_systems, write_report
from newsum.trainer.export import data_fingerprint, merge_adapter, save_adapter, write_metadata
from newsum.trainer.plots import plot_loss_curve
from newsum.trainer.scoring import lexicon_of

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    """What a training run produced and how fast it ran."""

    adapter_dir: Path
    steps: int
    train_loss: float
    seconds: float
    tokens_per_second: float
    peak_gpu_memory_bytes: int | None
    report: EvalReport | None


def train(config: TrainConfig) -> TrainResult:
    """Fine-tune, evaluate and export an adapter into ``config.output_dir``."""
    # 1. prepare: fail fast on bad input before any weight is loaded.
    set_seed(config.seed)
    resume_from = resolve_checkpoint(config.resume)
    check_target_modules(config.base_model, config.target_modules)
    splits = load_splits(config.data_dir)
    train_pairs = mixed_train_pairs(splits["train"][: config.max_train_examples], config)
    tokenizer = load_tokenizer(config.base_model)
    train_set = tokenize_pairs(train_pairs, tokenizer, config)
    eval_set = (
        tokenize_pairs(splits["validation"], tokenizer, config) if config.eval_steps else None
    )

    # 2. load: the base (4-bit or full precision) with LoRA adapters on its projections.
    model = load_trainable_model(config, tokenizer)

    # 3. train
    started = time.perf_counter()
    trainer = Trainer(
        model=model,
        args=training_arguments(config, has_eval=eval_set is not None),
        train_dataset=train_set,
        eval_dataset=eval_set,
        data_collator=DataCollatorForSeq2Seq(right_padded(tokenizer), label_pad_token_id=-100),
    )
    outcome = trainer.train(resume_from_checkpoint=resume_from)
    seconds = time.perf_counter() - started
    tokens = trainer.state.num_input_tokens_seen
    if not trainer.is_world_process_zero():  # under accelerate launch, rank 0 exports alone
        return _result(config, outcome, seconds, tokens, report=None)
    manifest = build_manifest(config, train_pairs, lora=lora_settings(trainer.model))
    save_adapter(trainer.model, tokenizer, config.output_dir)
    plot_loss_curve(trainer.state.log_history, config.output_dir / "loss_curve.png")
    del trainer, model
    release_memory()  # free the training model before evaluation loads its own copies

    # 4. evaluate the adapter as saved, with the generation and check the workers run.
    report = None
    try:
        if config.evaluate:
            report = evaluate_systems(
                splits["test"][: config.eval_max_articles],
                adapter_dir=config.output_dir,
                precision=training_precision(config),
                batch_size=config.generation_batch_size,
                device=config.device,
                manifest=manifest,
                previous_adapter=Path(config.init_adapter) if config.init_adapter else None,
                # The judge knows the corpus's words, roles and events from every split.
                lexicon=lexicon_of([pair for name in SPLITS for pair in splits[name]]),
            )
            write_report(report, config.output_dir / "eval")
            manifest.metrics = report.metrics()
    finally:
        # 5. export: the manifest (with metrics when evaluated) and the model card, once;
        # written even when evaluation fails, so the trained adapter stays servable.
        write_metadata(manifest, config.output_dir)
    if config.merge:
        merge_adapter(config.output_dir, config.output_dir / "merged", device=config.device)
    return _result(config, outcome, seconds, tokens, report)


def _result(
    config: TrainConfig, outcome: Any, seconds: float, tokens: int, report: EvalReport | None
) -> TrainResult:
    on_gpu = torch.cuda.is_available()
    return TrainResult(
        adapter_dir=config.output_dir,
        steps=outcome.global_step,
        train_loss=outcome.training_loss,
        seconds=round(seconds, 2),
        tokens_per_second=round(tokens / seconds, 1) if seconds else 0.0,
        peak_gpu_memory_bytes=torch.cuda.max_memory_allocated() if on_gpu else None,
        report=report,
    )


def load_splits(data_dir: Path) -> dict[str, list[Pair]]:
    """The train, validation and test pairs; raises DataInvalid when one is missing."""
    missing = [name for name in SPLITS if not (data_dir / f"{name}.jsonl").is_file()]
    if missing:
        raise DataInvalid(
            f"{data_dir} has no {', '.join(f'{m}.jsonl' for m in missing)}:"
            " write the splits with `newsum data prepare`"
        )
    splits = {name: load_split(data_dir / f"{name}.jsonl") for name in SPLITS}
    if not splits["train"]:
        raise DataInvalid(f"{data_dir / 'train.jsonl'} holds no pairs to train on")
    return splits


def resolve_checkpoint(resume: Path | None) -> str | None:
    """The checkpoint folder to resume from; raises NotACheckpoint for anything else.

    Accepts a ``checkpoint-N`` folder or a run's output/checkpoints folder holding some.
    """
    if resume is None:
        return None
    if (resume / "trainer_state.json").is_file():
        return str(resume)
    for folder in (resume, resume / "checkpoints"):
        last = get_last_checkpoint(str(folder)) if folder.is_dir() else None
        if last is not None:
            return last
    raise NotACheckpoint(
        f"{resume} is not a training checkpoint (no trainer_state.json and no checkpoint-N"
        " folder): pass OUTPUT_DIR/checkpoints/checkpoint-N of an earlier run, or drop --resume"
    )


def check_target_modules(base_model: str, target_modules: list[str]) -> None:
    """Raise NoTargetModules unless the model has a linear layer named like a target.

    The model is built on the meta device from its config alone: no weight is read.
    """
    from accelerate import init_empty_weights
    from transformers import AutoModelForCausalLM

    with init_empty_weights():
        skeleton = AutoModelForCausalLM.from_config(load_config(base_model))
    linear = {
        name.rsplit(".", 1)[-1]
        for name, module in skeleton.named_modules()
        if isinstance(module, torch.nn.Linear)
    }
    if not linear & set(target_modules):
        raise NoTargetModules(
            f"{base_model} ({type(skeleton).__name__}) has none of the LoRA target modules"
            f" {sorted(target_modules)}; its linear layers are {sorted(linear)}: pass some of"
            " them with --target-modules"
        )


def tokenize_pairs(
    pairs: list[Pair], tokenizer: PreTrainedTokenizerBase, config: TrainConfig
) -> Dataset:
    """The pairs as prompt-masked training examples (see build_training_example)."""
    rows = [
        build_training_example(
            tokenizer,
            DEFAULT_TEMPLATE,
            pair.title,
            pair.article,
            pair.summary,
            config.max_input_tokens,
            config.max_summary_tokens,
        )
        for pair in pairs
    ]
    return Dataset.from_list([dict(row) for row in rows])


def right_padded(tokenizer: PreTrainedTokenizerBase) -> PreTrainedTokenizerBase:
    """A copy that pads on the right, for training batches.

    In training, positions count from the first token of the row, so left padding would
    shift every position of a short example; generation derives positions from the
    attention mask, so it can (and must) pad on the left.
    """
    trainer_tokenizer = copy.deepcopy(tokenizer)
    trainer_tokenizer.padding_side = "right"
    return trainer_tokenizer


def mixed_train_pairs(pairs: list[Pair], config: TrainConfig) -> list[Pair]:
    """``pairs``, plus ``mix_ratio`` pairs from ``mix_data_dir``'s train split for each.

    Replaying the original data beside editors' feedback keeps the model from forgetting
    what the feedback does not show. The sample is the same for the same seed; ids already
    in ``pairs`` are not taken twice.
    """
    if config.mix_data_dir is None:
        return pairs
    own = {pair.id for pair in pairs}
    pool = [p for p in load_splits(config.mix_data_dir)["train"] if p.id not in own]
    wanted = min(len(pool), round(len(pairs) * config.mix_ratio))
    return pairs + random.Random(config.seed).sample(pool, wanted)


def load_trainable_model(config: TrainConfig, tokenizer: PreTrainedTokenizerBase) -> Any:
    """The base model prepared for (Q)LoRA training, wrapped by peft: new LoRA weights, or
    those of ``config.init_adapter`` to train further."""
    from peft import LoraConfig, PeftModel, get_peft_model, prepare_model_for_kbit_training

    model = load_base_model(
        config.base_model, precision=training_precision(config), device=config.device
    )
    fit_embeddings(model, tokenizer)
    model.config.use_cache = (
        False  # the KV cache is useless in training and clashes with checkpointing
    )
    if config.quantization == "nf4":
        # Casts norms and embeddings to fp32 and lets gradients flow into checkpointed blocks.
        model = prepare_model_for_kbit_training(
            model,
            use_gradient_checkpointing=config.gradient_checkpointing,
            gradient_checkpointing_kwargs={"use_reentrant": False},
        )
    elif config.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    if config.init_adapter is not None:
        check_same_base(AdapterManifest.load(config.init_adapter), config.base_model)
        return PeftModel.from_pretrained(model, config.init_adapter, is_trainable=True)
    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=list(config.target_modules),
        bias="none",
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, lora)


def training_precision(config: TrainConfig) -> Precision:
    """The base model's precision in training: nf4, or bf16 on GPU / fp32 on CPU."""
    if config.quantization == "nf4":
        return "nf4"
    return "bf16" if resolve_device(config.device).type == "cuda" else "fp32"


def training_arguments(config: TrainConfig, *, has_eval: bool) -> HFTrainingArguments:
    """transformers' TrainingArguments for this run."""
    on_gpu = resolve_device(config.device).type == "cuda"
    return HFTrainingArguments(
        output_dir=str(config.checkpoint_dir),
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accumulation,
        learning_rate=config.learning_rate,
        lr_scheduler_type=config.lr_scheduler,
        warmup_steps=config.warmup_ratio,  # below 1: a share of the total steps
        weight_decay=config.weight_decay,
        # Paged 8-bit AdamW keeps optimizer state small and survives memory spikes on GPU;
        # bitsandbytes' paged optimizers need CUDA, so CPU runs use torch's AdamW.
        optim="paged_adamw_8bit" if on_gpu else "adamw_torch",
        bf16=on_gpu,
        train_sampling_strategy="group_by_length" if config.group_by_length else "random",
        eval_strategy="steps" if has_eval else "no",
        eval_steps=config.eval_steps or None,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=2,
        logging_steps=config.logging_steps,
        include_num_input_tokens_seen="non_padding",
        seed=config.seed,
        data_seed=config.seed,
        use_cpu=not on_gpu,
        ddp_find_unused_parameters=False,
        report_to=[],
        disable_tqdm=False,
        dataloader_num_workers=0,
    )


def lora_settings(model: Any) -> dict[str, Any]:
    """r, alpha, dropout and target modules of the LoRA weights ``model`` trains."""
    lora = model.peft_config["default"]
    return {
        "r": lora.r,
        "alpha": lora.lora_alpha,
        "dropout": lora.lora_dropout,
        "target_modules": sorted(lora.target_modules),
    }


def build_manifest(
    config: TrainConfig, train_pairs: list[Pair], *, lora: dict[str, Any]
) -> AdapterManifest:
    """The manifest of the adapter this run produces (metrics are added after evaluation)."""
    precision = training_precision(config)
    return AdapterManifest(
        base_model=_stable_name(config.base_model),
        base_model_revision=base_model_revision(config.base_model),
        base_model_fingerprint=base_model_fingerprint(config.base_model),
        quantization=quantization_settings(precision, resolve_device(config.device)),
        prompt=DEFAULT_TEMPLATE,
        max_input_tokens=config.max_input_tokens,
        max_summary_tokens=config.max_summary_tokens,
        generation=GenerationParams(
            source_words=config.source_words, article_words=config.article_words,
            relations=config.relations, stop_when_refused=config.stop_when_refused,
            candidates=config.candidates, min_mean_logprob=config.min_mean_logprob,
        ),
        lora=lora,
        data_fingerprint=data_fingerprint(train_pairs),
    )


def _stable_name(base_model: str) -> str:
    """A local path made absolute (a worker may run elsewhere); a hub id as given."""
    path = Path(base_model).expanduser()
    return str(path.resolve()) if path.exists() else base_model


