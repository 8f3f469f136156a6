"""Trainer benchmark, printed side by side in one run.

1. Memory footprint of a >=100M-parameter Llama-architecture model (random init from a
   config, no hub) loaded 4-bit NF4 vs fp16 (``get_memory_footprint``), plus the same
   ratio estimated for Llama 2 7B's shape.
2. Trainable vs total parameters with LoRA on the attention and MLP projections.
3. Training tokens/s (non-padding) of QLoRA (nf4) vs full-precision LoRA on the tiny
   model, and the padding share of training batches with and without length grouping.

Usage: PYTHONPATH=. .venv/bin/python bench/bench_trainer.py [--tiny-model DIR] [--steps N]
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch
from transformers import (
    AutoModelForCausalLM,
    DataCollatorForSeq2Seq,
    LlamaConfig,
    LlamaForCausalLM,
    Trainer,
    TrainerCallback,
)

from newsum.modeling.loading import load_base_model, load_tokenizer
from newsum.sandbox.corpus import generate_corpus
from newsum.trainer.config import LLAMA_PROJECTIONS, TrainConfig
from newsum.trainer.data import Pair
from newsum.trainer.train import (
    load_trainable_model,
    right_padded,
    tokenize_pairs,
    training_arguments,
)

NF4_BITS = 4 + 8 / 64 + 32 / (64 * 256)  # 4-bit codes + double-quantised block constants


def bench_config() -> LlamaConfig:
    """A 160M-parameter Llama: deep and wide, with the tiny tokenizer's small vocabulary."""
    return LlamaConfig(
        vocab_size=2048, hidden_size=1024, intermediate_size=2816, num_hidden_layers=12,
        num_attention_heads=16, num_key_value_heads=16, max_position_embeddings=1024,
    )  # fmt: skip


def memory_footprints(config: LlamaConfig) -> dict[str, float]:
    """Parameters, fp16 and NF4 bytes, and the LoRA trainable share of one random model."""
    from peft import LoraConfig, get_peft_model

    with tempfile.TemporaryDirectory() as folder:
        torch.manual_seed(0)
        LlamaForCausalLM(config).to(torch.float16).save_pretrained(folder)
        fp16 = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float16)
        fp16_bytes, params = fp16.get_memory_footprint(), fp16.num_parameters()
        del fp16
        nf4 = load_base_model(folder, precision="nf4", device="cpu")
        nf4_bytes = nf4.get_memory_footprint()
        lora = LoraConfig(r=16, lora_alpha=32, target_modules=list(LLAMA_PROJECTIONS))
        trainable, total = get_peft_model(nf4, lora).get_nb_trainable_parameters()
        del nf4
    gc.collect()
    return {
        "params": params, "fp16": fp16_bytes, "nf4": nf4_bytes,
        "trainable": trainable, "total": total,
    }  # fmt: skip


def llama2_7b_estimate() -> dict[str, float]:
    """NF4/fp16 memory ratio of Llama 2 7B's shape, counted on the meta device."""
    from accelerate import init_empty_weights

    config = LlamaConfig(
        vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
        num_attention_heads=32, num_key_value_heads=32,
    )  # fmt: skip
    with init_empty_weights():
        model = LlamaForCausalLM(config)
    quantised = sum(
        m.weight.numel()
        for name, m in model.named_modules()
        if isinstance(m, torch.nn.Linear) and not name.endswith("lm_head")
    )
    total = model.num_parameters()
    nf4 = quantised * NF4_BITS / 8 + (total - quantised) * 2
    return {"params": total, "fp16": total * 2, "nf4": nf4}


def training_speed(tiny_model: Path, pairs: list[Pair], steps: int) -> dict[str, dict[str, float]]:
    """Non-padding tokens/s and padding share for nf4/fp32, grouped by length or not."""
    runs = {
        "nf4, grouped": ("nf4", True),
        "nf4, random": ("nf4", False),
        "fp32, grouped": ("none", True),
    }
    results: dict[str, dict[str, float]] = {}
    tokenizer = load_tokenizer(tiny_model)
    with tempfile.TemporaryDirectory() as folder:
        base = TrainConfig(
            base_model=str(tiny_model), output_dir=Path(folder), max_steps=steps,
            batch_size=8, grad_accumulation=1, learning_rate=1e-2, lora_dropout=0.0,
            max_input_tokens=320, max_summary_tokens=64, eval_steps=0, save_steps=10_000,
            logging_steps=steps, device="cpu",
        )  # fmt: skip
        dataset = tokenize_pairs(pairs, tokenizer, base)
        for name, (quantization, grouped) in runs.items():
            config = replace(base, quantization=quantization, group_by_length=grouped)
            trainer = Trainer(
                model=load_trainable_model(config, tokenizer),
                args=training_arguments(config, has_eval=False),
                train_dataset=dataset,
                data_collator=DataCollatorForSeq2Seq(right_padded(tokenizer)),
            )
            padding = padding_share(trainer, steps)
            clock = StepClock(warmup=WARMUP_STEPS)
            trainer.add_callback(clock)
            trainer.train()
            results[name] = {
                "tokens_per_s": clock.tokens / clock.seconds,
                "padding_share": padding,
                "seconds": clock.seconds,
            }
            del trainer
            gc.collect()
    return results


WARMUP_STEPS = 3


class StepClock(TrainerCallback):
    """Times the steps after a warm-up (thread pools, kernels and caches start cold)."""

    def __init__(self, warmup: int) -> None:
        self.warmup, self.started, self.seconds, self.tokens = warmup, 0.0, 0.0, 0
        self.tokens_at_start = 0

    def on_step_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
        if state.global_step == self.warmup:
            self.started, self.tokens_at_start = time.perf_counter(), state.num_input_tokens_seen
        elif state.global_step > self.warmup:
            self.seconds = time.perf_counter() - self.started
            self.tokens = state.num_input_tokens_seen - self.tokens_at_start


def padding_share(trainer: Trainer, batches: int) -> float:
    """Share of pad positions in the first ``batches`` training batches."""
    pads = total = 0
    for index, batch in enumerate(trainer.get_train_dataloader()):
        if index == batches:
            break
        mask = batch["attention_mask"]
        pads += int((mask == 0).sum())
        total += mask.numel()
    return pads / max(total, 1)


def tiny_model_dir(path: Path | None) -> Path:
    """The given tiny model, or one built (once) under .newsum/bench/."""
    if path is not None:
        return path
    from newsum.sandbox.tiny import build_tiny_model

    out = Path(".newsum/bench/tiny-model")
    if not (out / "config.json").is_file():
        print(f"building the tiny model in {out} ...", flush=True)
        build_tiny_model(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny-model", type=Path, help="Tiny model dir (built if omitted).")
    parser.add_argument("--steps", type=int, default=30, help="Training steps per run.")
    parser.add_argument(
        "--threads", type=int, default=1, help="CPU threads for torch (1: steadiest when shared)."
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    big = memory_footprints(bench_config())
    shape = llama2_7b_estimate()
    tiny = tiny_model_dir(args.tiny_model)
    items = generate_corpus(200, seed=2)
    pairs = [Pair(str(i.id), i.title, i.body, i.summary) for i in items]
    speed = training_speed(tiny, pairs, args.steps)

    mib = 2**20
    print("\n== memory footprint: 4-bit NF4 (double quant) vs fp16 ==")
    print(f"{'model':<34} {'params':>9} {'fp16 MiB':>9} {'nf4 MiB':>9} {'nf4/fp16':>9}")
    for name, row in (("random Llama (measured)", big), ("Llama 2 7B shape (estimated)", shape)):
        print(
            f"{name:<34} {row['params'] / 1e6:8.1f}M {row['fp16'] / mib:9.1f}"
            f" {row['nf4'] / mib:9.1f} {row['nf4'] / row['fp16']:9.3f}"
        )
    print("\n== LoRA r=16 on q,k,v,o,gate,up,down (measured model) ==")
    share = big["trainable"] / big["total"]
    print(f"trainable {big['trainable'] / 1e6:.2f}M of {big['total'] / 1e6:.1f}M ({share:.2%})")
    timed = args.steps - WARMUP_STEPS
    print(
        f"\n== training the tiny model: {timed} timed steps of 8 pairs, {args.threads} threads =="
    )
    print(f"{'run':<16} {'tokens/s':>9} {'padding':>8} {'seconds':>8}")
    for name, row in speed.items():
        print(
            f"{name:<16} {row['tokens_per_s']:9.0f} {row['padding_share']:8.1%}"
            f" {row['seconds']:8.1f}"
        )


if __name__ == "__main__":
    main()
