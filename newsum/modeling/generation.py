"""Batched summary generation: the only generation path, used by evaluation and workers.

Prompts are sorted by length so a batch holds similar lengths (little padding), padded
on the LEFT so every prompt ends right where generation starts, and decoded greedily
with the manifest's parameters. A CUDA out-of-memory error splits the batch in halves
and retries; any other failure is retried one article at a time, so one bad article
comes back as its own exception and never fails its neighbours.

The decoding constraint (:mod:`newsum.modeling.constraints`) lets a summary copy only
from the part of the article its prompt holds: what the model was shown.

Given a faithfulness checker, every summary comes back with a verdict (the check's, and
the model's own doubt, see :mod:`newsum.modeling.retry`), and one that fails is tried
again before anyone has to review it. The worker publishes by that verdict and the
evaluation reports it, so both see the same summaries and the same check.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import GenerationConfig, LogitsProcessorList

from newsum.modeling.checking import summary_checker
from newsum.modeling.constraints import SourceWords, whole_sentences
from newsum.modeling.faithfulness import ArticleText, FaithfulnessChecker, Verdict
from newsum.modeling.loading import LoadedModel
from newsum.modeling.prompt import build_prompt
from newsum.modeling.retry import check_and_retry
from newsum.modeling.timings import PhaseTimes

__all__ = ["GeneratedSummary", "generation_config", "summarize_batch", "summary_checker"]

log = logging.getLogger(__name__)

@dataclass
class GeneratedSummary:
    """One generated summary.

    ``latency_ms`` is the wall time of the generation calls that produced it (shared by
    the articles of one batch); token counts exclude padding and the final EOS.
    ``verdict`` is the checker's, when one was given; ``candidates`` counts the summaries
    written for the article (1, or 1 plus the retry's).
    """

    text: str
    input_tokens: int
    output_tokens: int
    latency_ms: float
    verdict: Verdict | None = None
    candidates: int = 1


def generation_config(loaded: LoadedModel, *, candidates: int = 1) -> GenerationConfig:
    """The decoding settings of ``loaded``'s manifest, ignoring the model's own defaults;
    with ``candidates`` > 1, beam search returning that many."""
    params = loaded.manifest.generation
    tokenizer = loaded.tokenizer
    sampling = (
        {"temperature": params.temperature, "top_p": params.top_p} if params.do_sample else {}
    )
    if candidates > 1:
        sampling = {"num_return_sequences": candidates}
    return GenerationConfig(
        do_sample=params.do_sample and candidates == 1,
        num_beams=max(params.num_beams, candidates),
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
    checker: FaithfulnessChecker | None = None,
    languages: Sequence[str | None] | None = None,
    timings: PhaseTimes | None = None,
) -> list[GeneratedSummary | Exception]:
    """Summaries of ``(title, body)`` pairs, one result per input in input order.

    An article that cannot be summarised (prompt too long for the budget, out of memory
    alone, ...) yields its Exception in its slot. An exception of a ``stop_on`` type (a
    caller's signal that its time is up, such as a worker's soft time limit) is never
    recorded per article and never retried: it ends the whole call. With ``checker``
    (and the articles' ``languages``), each summary carries its verdict and one that
    fails is retried as the module docstring says. ``timings``, when given, gets the
    seconds spent on ``prompts``, ``generate``, ``check`` and ``retry``.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    times = timings if timings is not None else PhaseTimes()
    results: list[GeneratedSummary | Exception | None] = [None] * len(articles)
    # What the decoding may copy from: the article as far as the prompt holds it.
    sources = [""] * len(articles)
    prompts: dict[int, list[int]] = {}
    manifest = loaded.manifest
    with times.phase("prompts"):
        for index, (title, body) in enumerate(articles):
            try:
                prompts[index], sources[index] = build_prompt(
                    loaded.tokenizer, manifest.prompt, title, body, manifest.max_input_tokens
                )
            except stop_on:
                raise
            except Exception as exc:  # recorded as this article's result
                results[index] = exc
    with times.phase("generate"):
        first = _generate_all(loaded, generation_config(loaded), prompts, sources, batch_size,
                              stop_on)
    for index, found in first.items():
        results[index] = found if isinstance(found, Exception) else found[0]
    if checker is not None:
        texts = [ArticleText(title or "", body, languages[i] if languages else None)
                 for i, (title, body) in enumerate(articles)]
        def candidates(failing: dict[int, list[int]], count: int
                       ) -> dict[int, list[GeneratedSummary] | Exception]:
            # Beams take ``count`` rows each: keep the rows of a batch about what they were.
            return _generate_all(loaded, generation_config(loaded, candidates=count), failing,
                                 sources, max(1, batch_size // count), stop_on)

        check_and_retry(loaded, results, prompts, texts, checker, candidates,
                        batch_size=batch_size, timings=times)
    return [r if r is not None else RuntimeError("no result") for r in results]


def _generate_all(
    loaded: LoadedModel,
    config: GenerationConfig,
    prompts: dict[int, list[int]],
    sources: Sequence[str],
    batch_size: int,
    stop_on: tuple[type[BaseException], ...],
) -> dict[int, list[GeneratedSummary] | Exception]:
    """Candidates for each prompt, in batches of similar length."""
    # Longest first: similar lengths share a batch, and an OOM shows on the first batch.
    order = sorted(prompts, key=lambda i: len(prompts[i]), reverse=True)
    found: dict[int, list[GeneratedSummary] | Exception] = {}
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        batch = [(prompts[i], sources[i]) for i in chunk]
        for index, result in zip(
            chunk, _generate_safely(loaded, config, batch, stop_on), strict=True
        ):
            found[index] = result
    return found


def _generate_safely(
    loaded: LoadedModel,
    config: GenerationConfig,
    prompts: list[tuple[list[int], str]],
    stop_on: tuple[type[BaseException], ...],
) -> list[list[GeneratedSummary] | Exception]:
    """Generate for ``prompts`` (token ids, article text); split on OOM, isolate any other
    failure per prompt."""
    try:
        return list(_generate_once(loaded, config, prompts))
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
) -> list[list[GeneratedSummary]]:
    """One ``generate`` call over left-padded prompts: each prompt's candidates."""
    tokenizer = loaded.tokenizer
    prompts = [prompt for prompt, _ in batch]
    width = max(len(p) for p in prompts)
    pad = tokenizer.pad_token_id
    input_ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompts])
    attention_mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
    started = time.perf_counter()
    processors = LogitsProcessorList()
    params = loaded.manifest.generation
    if params.source_words:
        processors.append(SourceWords(
            tokenizer, [source for _, source in batch], width,
            loaded.model.get_output_embeddings().weight.shape[0],
            plain=params.article_words, relations=params.relations,
            stop_when_refused=params.stop_when_refused,
        ))
    with torch.inference_mode():
        output = loaded.model.generate(
            input_ids=input_ids.to(loaded.device),
            attention_mask=attention_mask.to(loaded.device),
            generation_config=config,
            logits_processor=processors,
        )
    latency_ms = (time.perf_counter() - started) * 1000
    per_prompt = output.shape[0] // len(prompts)
    rows = output[:, width:].tolist()
    summaries: list[list[GeneratedSummary]] = []
    for number, prompt in enumerate(prompts):
        candidates = []
        for row in rows[number * per_prompt : (number + 1) * per_prompt]:
            new_tokens = _until_eos(row, tokenizer.eos_token_id)
            # A summary that stops inside a sentence (the token budget ran out, nothing the
            # article allows could follow, or the constraint ended it) says there what
            # nobody wrote: it ends at its last whole sentence, and with none at all there
            # is no summary (the check holds it as empty).
            text = whole_sentences(tokenizer.decode(new_tokens, skip_special_tokens=True).strip())
            candidates.append(GeneratedSummary(text, len(prompt), len(new_tokens), latency_ms))
        summaries.append(candidates)
    return summaries


def _until_eos(tokens: list[int], eos_token_id: int) -> list[int]:
    """The tokens before the first EOS (after it come only pad tokens)."""
    return tokens[: tokens.index(eos_token_id)] if eos_token_id in tokens else tokens
