"""Batched summary generation: the only generation path, used by evaluation and workers.

Prompts are sorted by length so a batch holds similar lengths (little padding), padded
on the LEFT so every prompt ends right where generation starts, and decoded greedily
with the manifest's parameters. A CUDA out-of-memory error splits the batch in halves
and retries; any other failure is retried one article at a time, so one bad article
comes back as its own exception and never fails its neighbours.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import GenerationConfig, LogitsProcessorList

from newsum.modeling.constraints import SourceWords
from newsum.modeling.loading import LoadedModel
from newsum.modeling.prompt import build_prompt_ids

log = logging.getLogger(__name__)


@dataclass
class GeneratedSummary:
    """One generated summary.

    ``latency_ms`` is the wall time of the generation call that produced it (shared by
    the articles of one batch); token counts exclude padding and the final EOS.
    """

    text: str
    input_tokens: int
    output_tokens: int
    latency_ms: float


def generation_config(loaded: LoadedModel) -> GenerationConfig:
    """The decoding settings of ``loaded``'s manifest, ignoring the model's own defaults."""
    params = loaded.manifest.generation
    tokenizer = loaded.tokenizer
    sampling = (
        {"temperature": params.temperature, "top_p": params.top_p} if params.do_sample else {}
    )
    return GenerationConfig(
        do_sample=params.do_sample,
        num_beams=params.num_beams,
        repetition_penalty=params.repetition_penalty,
        no_repeat_ngram_size=params.no_repeat_ngram_size,
        max_new_tokens=loaded.manifest.max_new_tokens,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        **sampling,
    )


def summarize_batch(
    loaded: LoadedModel,
    articles: Sequence[tuple[str | None, str]],
    *,
    batch_size: int,
    stop_on: tuple[type[BaseException], ...] = (),
) -> list[GeneratedSummary | Exception]:
    """Summaries of ``(title, body)`` pairs, one result per input in input order.

    An article that cannot be summarised (prompt too long for the budget, out of memory
    alone, ...) yields its Exception in its slot. An exception of a ``stop_on`` type (a
    caller's signal that its time is up, such as a worker's soft time limit) is never
    recorded per article and never retried: it ends the whole call.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    results: list[GeneratedSummary | Exception | None] = [None] * len(articles)
    sources = [f"{title or ''}\n{body}" for title, body in articles]
    prompts: dict[int, list[int]] = {}
    manifest = loaded.manifest
    for index, (title, body) in enumerate(articles):
        try:
            prompts[index] = build_prompt_ids(
                loaded.tokenizer, manifest.prompt, title, body, manifest.max_input_tokens
            )
        except stop_on:
            raise
        except Exception as exc:  # recorded as this article's result
            results[index] = exc
    # Longest first: similar lengths share a batch, and an OOM shows on the first batch.
    order = sorted(prompts, key=lambda i: len(prompts[i]), reverse=True)
    config = generation_config(loaded)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        for index, result in zip(
            chunk,
            _generate_safely(
                loaded, config, [(prompts[i], sources[i]) for i in chunk], stop_on
            ),
            strict=True,
        ):
            results[index] = result
    return [r if r is not None else RuntimeError("no result") for r in results]


def _generate_safely(
    loaded: LoadedModel,
    config: GenerationConfig,
    prompts: list[tuple[list[int], str]],
    stop_on: tuple[type[BaseException], ...],
) -> list[GeneratedSummary | Exception]:
    """Generate for ``prompts`` (token ids, article text); split on OOM, isolate any other
    failure per prompt."""
    try:
        return _generate_once(loaded, config, prompts)
    except torch.OutOfMemoryError as exc:
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        if len(prompts) == 1:
            return [exc]
        half = len(prompts) // 2
        log.warning("out of memory on a batch of %d: retrying halves", len(prompts))
        return _generate_safely(loaded, config, prompts[:half], stop_on) + _generate_safely(
            loaded, config, prompts[half:], stop_on
        )
    except stop_on:
        # The caller's time is up: stop now (it records the batch), do not retry one by one.
        raise
    except Exception as exc:  # one article's fault must not fail its neighbours
        if len(prompts) == 1:
            return [exc]
        log.warning("batch of %d failed (%s): retrying one by one", len(prompts), exc)
        return [r for p in prompts for r in _generate_safely(loaded, config, [p], stop_on)]


def _generate_once(
    loaded: LoadedModel, config: GenerationConfig, batch: list[tuple[list[int], str]]
) -> list[GeneratedSummary | Exception]:
    """One ``generate`` call over left-padded prompts."""
    tokenizer = loaded.tokenizer
    prompts = [prompt for prompt, _ in batch]
    width = max(len(p) for p in prompts)
    pad = tokenizer.pad_token_id
    input_ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompts])
    attention_mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
    started = time.perf_counter()
    processors = LogitsProcessorList()
    if loaded.manifest.generation.source_words:
        processors.append(SourceWords(
            tokenizer, [source for _, source in batch], width,
            loaded.model.get_output_embeddings().weight.shape[0],
        ))
    with torch.inference_mode():
        output = loaded.model.generate(
            input_ids=input_ids.to(loaded.device),
            attention_mask=attention_mask.to(loaded.device),
            generation_config=config,
            logits_processor=processors,
        )
    latency_ms = (time.perf_counter() - started) * 1000
    summaries: list[GeneratedSummary | Exception] = []
    for prompt, row in zip(prompts, output[:, width:].tolist(), strict=True):
        new_tokens = _until_eos(row, tokenizer.eos_token_id)
        text = tokenizer.decode(new_tokens, skip_special_tokens=True).strip()
        summaries.append(GeneratedSummary(text, len(prompt), len(new_tokens), latency_ms))
    return summaries


def _until_eos(tokens: list[int], eos_token_id: int) -> list[int]:
    """The tokens before the first EOS (after it come only pad tokens)."""
    return tokens[: tokens.index(eos_token_id)] if eos_token_id in tokens else tokens
