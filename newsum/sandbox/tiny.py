"""A tiny Llama-architecture foundation model, built from the synthetic corpus.

It is what the tests and the demo use in place of Llama 2 7B: a BPE tokenizer with
Llama 2's special-token conventions and a small ``LlamaForCausalLM`` pre-trained briefly
on article text only (never on the summaries, so it has not seen the task). Both are
saved with ``save_pretrained`` and load through the same Auto classes as a real
checkpoint.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from datasets import Dataset
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import (
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedTokenizerFast,
    Trainer,
    TrainingArguments,
    default_data_collator,
)
from transformers.trainer_callback import PrinterCallback

from newsum.sandbox.corpus import NewsItem, generate_corpus
from newsum.sandbox.recipe import RECIPE

# Llama 2's ids: the tokenizer trainer assigns ids to special tokens in this order.
SPECIAL_TOKENS = ("<unk>", "<s>", "</s>")
BYTE_TOKENS = tuple(f"<0x{byte:02X}>" for byte in range(256))
# Letters the corpus may not contain but Portuguese and English text will, so that they
# are single tokens instead of <unk>.
EXTRA_ALPHABET = list("áàâãäéêèëíìîïóòôõöúùûüçñÁÀÂÃÉÊÍÓÔÕÚÇÑ“”‘’–—…€$%")


@dataclass
class TinyModelSpec:
    """Sizes of the tiny model and of its brief pre-training."""

    vocab_size: int = 2048  # target; a small corpus may stop the BPE trainer short of it
    hidden_size: int = 128  # a multiple of 64 so bitsandbytes' 4-bit blocks divide it
    intermediate_size: int = 256
    num_hidden_layers: int = 3  # a third layer forms copying (induction) heads much sooner
    num_attention_heads: int = 4
    max_position_embeddings: int = 1024
    block_size: int = 256  # longer than an article plus summary, so prompts fit positions seen
    batch_size: int = 4  # many small steps learn more per second than few large ones
    learning_rate: float = 2e-3
    # Copying from the context (induction heads) emerges late and abruptly; a learning rate
    # that decays towards zero before then stops it from emerging at all.
    lr_scheduler: str = "constant_with_warmup"


@dataclass
class BuildInfo:
    """What ``build_tiny_model`` did, written to ``build_info.json``."""

    seed: int
    n_articles: int
    pretrain_steps: int
    vocab_size: int
    parameters: int
    first_loss: float
    final_loss: float
    seconds: float
    spec: dict[str, object]


def train_tokenizer(texts: list[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """A Metaspace BPE tokenizer with Llama 2's special tokens (bos added, eos not).

    Like Llama 2's, it falls back to byte tokens (``<0x..>``) for characters it has no
    token for, so any text round-trips instead of turning into ``<unk>``.
    """
    learner = Tokenizer(models.BPE(unk_token="<unk>"))
    # Metaspace (the "▁" word marker of SentencePiece) keeps accents intact and decodes
    # back to the exact text, like Llama 2's own tokenizer. Digits are single tokens (as
    # Llama 2 splits them) and punctuation and newlines never merge with a word, so that a
    # name or a figure is the same tokens wherever it stands: copying it from the article
    # is then one pattern to learn, not one per neighbouring character.
    learner.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split("\n", behavior="isolated"),
            pre_tokenizers.Punctuation(behavior="isolated"),
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first"),
        ]
    )
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size - len(BYTE_TOKENS),
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=EXTRA_ALPHABET,
        show_progress=False,
    )
    learner.train_from_iterator(texts, trainer=trainer)
    learned = json.loads(learner.to_str())["model"]
    vocab: dict[str, int] = learned["vocab"]
    # Byte tokens go after the learned ones: adding them as trainer special tokens would
    # make decode(skip_special_tokens=True) drop them.
    for byte_token in BYTE_TOKENS:
        vocab.setdefault(byte_token, len(vocab))
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in learned["merges"]]
    tokenizer = Tokenizer(
        models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True)
    )
    tokenizer.add_special_tokens(list(SPECIAL_TOKENS))
    tokenizer.pre_tokenizer = learner.pre_tokenizer
    tokenizer.decoder = decoders.Sequence(
        [
            decoders.Replace("▁", " "),
            decoders.ByteFallback(),
            decoders.Fuse(),
            decoders.Strip(" ", 1, 0),
        ]
    )
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="<unk>",
        bos_token="<s>",
        eos_token="</s>",
        add_bos_token=True,
        add_eos_token=False,
        clean_up_tokenization_spaces=False,
        model_max_length=1024,
    )


def _pretraining_blocks(
    tokenizer: PreTrainedTokenizerFast, items: list[NewsItem], block_size: int
) -> Dataset:
    """Article text (title and body, no summary) as fixed-size blocks of token ids."""
    stream: list[int] = []
    for item in items:
        ids = tokenizer(f"{item.title}\n\n{item.body}")["input_ids"]
        stream.extend([*ids, tokenizer.eos_token_id])
    n_blocks = len(stream) // block_size
    blocks = [stream[i * block_size : (i + 1) * block_size] for i in range(n_blocks)]
    return Dataset.from_dict({"input_ids": blocks, "labels": blocks})


def _pretrain(
    model: LlamaForCausalLM, blocks: Dataset, spec: TinyModelSpec, steps: int, seed: int,
    work_dir: Path,
) -> list[float]:
    """Causal-LM pre-training with the transformers Trainer; return the logged losses."""
    args = TrainingArguments(
        output_dir=str(work_dir),
        max_steps=steps,
        per_device_train_batch_size=spec.batch_size,
        learning_rate=spec.learning_rate,
        lr_scheduler_type=spec.lr_scheduler,
        warmup_steps=max(1, steps // 10),
        weight_decay=0.0,
        logging_steps=max(1, steps // 20),
        save_strategy="no",
        report_to=[],
        seed=seed,
        use_cpu=not torch.cuda.is_available(),
        disable_tqdm=True,
        dataloader_num_workers=0,
    )
    trainer = Trainer(
        model=model, args=args, train_dataset=blocks, data_collator=default_data_collator
    )
    # The losses go to build_info.json; the Trainer's per-step printing is noise here.
    trainer.remove_callback(PrinterCallback)
    trainer.train()
    return [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]


def build_tiny_model(
    out_dir: Path,
    *,
    seed: int = RECIPE.seed,
    n_articles: int = RECIPE.articles,
    pretrain_steps: int = RECIPE.pretrain_steps,
    spec: TinyModelSpec | None = None,
) -> Path:
    """Train the tokenizer and pre-train the tiny model; save both in ``out_dir``.

    Returns ``out_dir``, which then holds the tokenizer files, ``config.json``,
    ``model.safetensors`` and ``build_info.json``.
    """
    spec = spec or TinyModelSpec()
    started = time.perf_counter()
    torch.manual_seed(seed)
    items = generate_corpus(n_articles, seed=seed)
    tokenizer = train_tokenizer([f"{i.title}\n\n{i.body}\n{i.summary}" for i in items],
                                spec.vocab_size)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size,
        num_hidden_layers=spec.num_hidden_layers,
        num_attention_heads=spec.num_attention_heads,
        num_key_value_heads=spec.num_attention_heads,
        max_position_embeddings=spec.max_position_embeddings,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=None,
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(config)
    blocks = _pretraining_blocks(tokenizer, items, spec.block_size)
    out_dir.mkdir(parents=True, exist_ok=True)
    work_dir = out_dir / "_pretraining"
    losses = _pretrain(model, blocks, spec, pretrain_steps, seed, work_dir)
    shutil.rmtree(work_dir, ignore_errors=True)
    model.generation_config.pad_token_id = None
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    info = BuildInfo(
        seed=seed,
        n_articles=n_articles,
        pretrain_steps=pretrain_steps,
        vocab_size=len(tokenizer),
        parameters=sum(p.numel() for p in model.parameters()),
        first_loss=losses[0],
        final_loss=losses[-1],
        seconds=round(time.perf_counter() - started, 2),
        spec=asdict(spec),
    )
    (out_dir / "build_info.json").write_text(json.dumps(asdict(info) | {"losses": losses},
                                                        indent=2))
    return out_dir
