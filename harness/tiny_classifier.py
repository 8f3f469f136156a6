"""A tiny entailment classifier, built offline, for driving the entailment checker.

No machine that tests newsum reaches a model hub, so the tests (and ``bench_faithfulness
--tiny-entailment``) build their own sequence-classification model: the project's own
tokenizer trained on the sentences below, a small BERT, and a few hundred steps of the
transformers Trainer on sentence pairs. A pair is entailed when the hypothesis comes from
the same story as the premise, and not when it comes from another story: a signal a tiny
model learns in seconds, and one that makes its score depend on the premise, so "best
chunk" and "weakest sentence" mean something. It is saved with ``save_pretrained`` and
loads through ``AutoModelForSequenceClassification`` like a real NLI model. Its figures on
real news mean nothing; its code path is the real one.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

# Each story: sentence templates, and the words that fill their slots.
STORIES: dict[str, tuple[list[str], dict[str, list[str]]]] = {
    "harbour": (
        ["The {boat} left the harbour at dawn with {n} passengers aboard.",
         "Fishermen at the harbour said the {boat} was delayed by the tide.",
         "The harbour master opened a second pier for the {boat}.",
         "Ferry tickets to the island rose after the {boat} was repaired.",
         "Crews unloaded nets and crates from the {boat} on the quay."],
        {"boat": ["ferry", "trawler", "tugboat", "sailing ship"],
         "n": ["forty", "sixty", "ninety", "two hundred"]},
    ),
    "library": (
        ["The school library lent {n} books to pupils during the {term}.",
         "Teachers asked the library to stay open late in the {term}.",
         "A reading club for pupils meets in the library every {term}.",
         "The headteacher said the new library shelves hold {n} novels.",
         "Pupils wrote poems about the library for the {term} fair."],
        {"term": ["spring term", "winter term", "summer term", "autumn term"],
         "n": ["three hundred", "five hundred", "eight hundred", "a thousand"]},
    ),
    "football": (
        ["The striker scored twice as the {club} won the derby.",
         "Supporters of the {club} sang in the stadium until the final whistle.",
         "The goalkeeper saved a penalty and the {club} kept a clean sheet.",
         "The coach of the {club} praised the defenders after the match.",
         "A late header sent the {club} to the top of the league."],
        {"club": ["home side", "visitors", "league leaders", "youth team"]},
    ),
    "storm": (
        ["Heavy rain flooded the {place} and closed the coastal road.",
         "Forecasters warned of strong winds over the {place} tonight.",
         "The storm brought down power lines across the {place}.",
         "Snow and hail fell on the {place} for most of the morning.",
         "Residents of the {place} cleared fallen branches after the gale."],
        {"place": ["valley", "hills", "river towns", "northern farms"]},
    ),
    "hospital": (
        ["Nurses at the hospital treated {n} patients in the {ward}.",
         "The hospital opened a new {ward} with modern beds.",
         "Doctors said waiting times in the {ward} had fallen.",
         "Surgeons at the hospital performed a rare operation in the {ward}.",
         "Volunteers brought flowers to patients in the {ward}."],
        {"ward": ["children's ward", "heart unit", "emergency ward", "maternity ward"],
         "n": ["dozens of", "hundreds of", "twelve", "thirty"]},
    ),
    "budget": (
        ["The council approved a budget that raises spending on {item}.",
         "Councillors argued about taxes before the vote on {item}.",
         "The treasurer said the budget keeps money aside for {item}.",
         "Opposition members voted against the cuts to {item}.",
         "The mayor signed the budget and promised more funds for {item}."],
        {"item": ["street lighting", "bus routes", "parks", "road repairs"]},
    ),
}
ENTAILED, NOT_ENTAILED = 0, 1
LABELS = {ENTAILED: "entailment", NOT_ENTAILED: "not_entailment"}


def story_sentence(story: str, rng: random.Random) -> str:
    """One sentence of ``story`` with its slots filled at random."""
    templates, slots = STORIES[story]
    return rng.choice(templates).format(**{k: rng.choice(v) for k, v in slots.items()})


def sentence_pairs(n: int, seed: int) -> list[tuple[str, str, int]]:
    """(premise, hypothesis, label): half from the premise's story, half from another."""
    rng = random.Random(seed)
    names = sorted(STORIES)
    pairs = []
    for i in range(n):
        story = rng.choice(names)
        premise = " ".join(story_sentence(story, rng) for _ in range(rng.randint(1, 3)))
        label = ENTAILED if i % 2 == 0 else NOT_ENTAILED
        source = story if label == ENTAILED else rng.choice([s for s in names if s != story])
        pairs.append((premise, story_sentence(source, rng), label))
    return pairs


def build_tiny_classifier(out_dir: Path, *, seed: int = 0, steps: int = 600) -> Path:
    """Train the tokenizer and the classifier; save both in ``out_dir`` and return it."""
    import torch
    from datasets import Dataset
    from tokenizers import processors
    from transformers import (
        BertConfig,
        BertForSequenceClassification,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
    )
    from transformers.trainer_callback import PrinterCallback

    from newsum.sandbox.tiny import train_tokenizer

    torch.manual_seed(seed)
    pairs = sentence_pairs(4000, seed)
    tokenizer = train_tokenizer([f"{p} {h}" for p, h, _ in pairs], vocab_size=800)
    tokenizer.pad_token = tokenizer.unk_token  # never produced for real text (byte fallback)
    # Segment ids tell the premise from the hypothesis, as NLI tokenizers do.
    tokenizer.backend_tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s>:1 $B:1", special_tokens=[("<s>", tokenizer.bos_token_id)]
    )
    tokenizer.model_input_names = ["input_ids", "token_type_ids", "attention_mask"]
    tokenizer.init_kwargs["model_input_names"] = tokenizer.model_input_names
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=128, max_position_embeddings=256, pad_token_id=tokenizer.pad_token_id,
        num_labels=len(LABELS), id2label=LABELS, label2id={v: k for k, v in LABELS.items()},
    )
    model = BertForSequenceClassification(config)
    encoded = tokenizer([p for p, _, _ in pairs], [h for _, h, _ in pairs], truncation=True,
                        max_length=256)
    dataset = Dataset.from_dict({**encoded, "labels": [label for _, _, label in pairs]})
    work_dir = out_dir / "_training"
    args = TrainingArguments(
        output_dir=str(work_dir), max_steps=steps, per_device_train_batch_size=32,
        learning_rate=2e-3, warmup_steps=steps // 10, weight_decay=0.0, save_strategy="no",
        logging_steps=max(1, steps // 10), report_to=[], seed=seed,
        use_cpu=not torch.cuda.is_available(), disable_tqdm=True, dataloader_num_workers=0,
    )
    trainer = Trainer(model=model, args=args, train_dataset=dataset,
                      data_collator=DataCollatorWithPadding(tokenizer))
    trainer.remove_callback(PrinterCallback)
    trainer.train()
    shutil.rmtree(work_dir, ignore_errors=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir
