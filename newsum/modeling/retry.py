"""A summary is judged before it leaves generation, and tried again when it fails.

The verdict is the faithfulness check's, plus the model's own doubt: the mean
log-probability per token the model gives the summary it wrote, read without the
decoding constraint. A constrained decoder can always write *something* from the
article's words; when the model did not know what to write (an article unlike any it was
trained on), that something is what the constraint left over, and the model itself gives
it a low probability. Below the manifest's ``generation.min_mean_logprob`` the summary
carries a ``model_unsure`` finding and is held like any other.

A summary that fails is generated again as the manifest's ``generation.candidates``
beam-search candidates; the first that passes is kept, and the summary first written
stays (held, with its findings) when none does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import torch

from newsum.modeling.faithfulness import ArticleText, FaithfulnessChecker, Finding, Verdict
from newsum.modeling.faithfulness.combined import check_batch
from newsum.modeling.timings import PhaseTimes

if TYPE_CHECKING:
    from newsum.modeling.generation import GeneratedSummary
    from newsum.modeling.loading import LoadedModel

UNSURE = "model_unsure"
"""The finding of a summary its own model finds unlikely."""

Candidates = Callable[[dict[int, list[int]], int], "dict[int, list[GeneratedSummary] | Exception]"]


def mean_logprobs(
    loaded: LoadedModel, prompts: Sequence[list[int]], texts: Sequence[str], batch_size: int
) -> list[float | None]:
    """The mean log-probability per token (EOS included) the model gives each text after
    its prompt, unconstrained; None for an empty text."""
    tokenizer = loaded.tokenizer
    targets = [list(tokenizer(t, add_special_tokens=False)["input_ids"]) + [tokenizer.eos_token_id]
               if t else [] for t in texts]
    found: list[float | None] = [None] * len(texts)
    order = [i for i in range(len(texts)) if targets[i]]
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        rows = [prompts[i] + targets[i] for i in chunk]
        width = max(len(r) for r in rows)
        pad = tokenizer.pad_token_id
        ids = torch.tensor([[pad] * (width - len(r)) + r for r in rows])
        mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
        with torch.inference_mode():
            logits = loaded.model(input_ids=ids.to(loaded.device),
                                  attention_mask=mask.to(loaded.device)).logits.float()
        logprobs = torch.log_softmax(logits, dim=-1).cpu()
        for row, i in enumerate(chunk):
            n = len(targets[i])
            positions = torch.arange(width - n - 1, width - 1)
            picked = logprobs[row, positions, torch.tensor(targets[i])]
            found[i] = float(picked.mean())
    return found


def judge_summary(
    checker: FaithfulnessChecker, article: ArticleText, text: str, logprob: float | None,
    floor: float | None,
) -> Verdict:
    """The check's verdict on ``text``, with a ``model_unsure`` finding below ``floor``."""
    return with_doubt(checker.check(article, text), logprob, floor)


def with_doubt(verdict: Verdict, logprob: float | None, floor: float | None) -> Verdict:
    """``verdict``, with a ``model_unsure`` finding when ``logprob`` is below ``floor``."""
    if floor is None or logprob is None or logprob >= floor:
        return verdict
    return Verdict.of([*verdict.findings, Finding(UNSURE, f"{logprob:.2f} per token")])


def check_and_retry(
    loaded: LoadedModel,
    results: list[GeneratedSummary | Exception | None],
    prompts: dict[int, list[int]],
    articles: Sequence[ArticleText],
    checker: FaithfulnessChecker,
    candidates: Candidates,
    *,
    batch_size: int,
    timings: PhaseTimes | None = None,
) -> None:
    """Give every summary its verdict; replace a failing one by the first passing
    candidate of the retry, if any (in place).

    The first summaries are checked in one batch (one pass of an entailment model for
    all); ``timings`` gets the seconds of the ``check`` and of the ``retry``.
    """
    times = timings if timings is not None else PhaseTimes()
    params = loaded.manifest.generation
    floor = params.min_mean_logprob
    done = [i for i, r in enumerate(results)
            if r is not None and not isinstance(r, BaseException)]
    texts = [results[i].text for i in done]  # type: ignore[union-attr]
    failing: dict[int, list[int]] = {}
    with times.phase("check"):
        logprobs = (mean_logprobs(loaded, [prompts[i] for i in done], texts, batch_size)
                    if floor is not None else [None] * len(done))
        verdicts = check_batch(checker, [(articles[i], text) for i, text in zip(done, texts,
                                                                              strict=True)])
        for i, logprob, verdict in zip(done, logprobs, verdicts, strict=True):
            result = results[i]
            assert result is not None and not isinstance(result, BaseException)
            result.verdict = with_doubt(verdict, logprob, floor)
            if not result.verdict.passed:
                failing[i] = prompts[i]
    if params.candidates < 2 or not failing:
        return
    with times.phase("retry"):
        _retry(loaded, results, prompts, articles, checker, candidates(failing, params.candidates),
               batch_size=batch_size)


def _retry(
    loaded: LoadedModel,
    results: list[GeneratedSummary | Exception | None],
    prompts: dict[int, list[int]],
    articles: Sequence[ArticleText],
    checker: FaithfulnessChecker,
    found_candidates: dict[int, list[GeneratedSummary] | Exception],
    *,
    batch_size: int,
) -> None:
    """Replace each failing summary by its first candidate that passes, if any."""
    floor = loaded.manifest.generation.min_mean_logprob
    for index, found in found_candidates.items():
        first = results[index]
        assert first is not None and not isinstance(first, BaseException)
        if isinstance(found, Exception):
            continue
        first.candidates += len(found)
        scores = (mean_logprobs(loaded, [prompts[index]] * len(found), [c.text for c in found],
                                batch_size) if floor is not None else [None] * len(found))
        for candidate, logprob in zip(found, scores, strict=True):
            verdict = judge_summary(checker, articles[index], candidate.text, logprob, floor)
            if verdict.passed:
                results[index] = replace(
                    candidate, verdict=verdict, candidates=first.candidates,
                    latency_ms=first.latency_ms + candidate.latency_ms,
                )
                break
