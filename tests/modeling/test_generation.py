"""Batched generation: left padding gives the same greedy texts as one by one."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsum.errors import PromptTooLong
from newsum.modeling.generation import GeneratedSummary, summarize_batch
from newsum.modeling.loading import LoadedModel, load_for_inference

pytestmark = pytest.mark.usefixtures("offline_hub", "one_thread")

ARTICLES: list[tuple[str | None, str]] = [
    ("Budget approved", "The council approved the budget on Monday. " * 6),
    ("Match report", "The home team won the final 3-1 after a late goal."),
    (None, "Rain is expected across the north on Friday."),
    ("Museum opens", "A new science museum opened its doors in the old port. " * 3),
    ("Short", "Prices rose."),
]


def _base(tiny_model_dir: Path, precision: str) -> LoadedModel:
    loaded = load_for_inference(
        None, base_model=str(tiny_model_dir), precision=precision, device="cpu"
    )  # type: ignore[arg-type]
    loaded.manifest = loaded.manifest.model_copy(
        update={"max_input_tokens": 256, "max_summary_tokens": 24}
    )
    return loaded


@pytest.mark.parametrize("precision", ["nf4", "fp32"])
def test_left_padded_batch_gives_the_same_texts_as_one_by_one(
    tiny_model_dir: Path, precision: str
) -> None:
    loaded = _base(tiny_model_dir, precision)

    batched = summarize_batch(loaded, ARTICLES, batch_size=len(ARTICLES))
    single = [summarize_batch(loaded, [article], batch_size=1)[0] for article in ARTICLES]

    assert all(isinstance(result, GeneratedSummary) for result in batched)
    assert [r.text for r in batched] == [r.text for r in single]  # type: ignore[union-attr]
    assert [r.input_tokens for r in batched] == [r.input_tokens for r in single]  # type: ignore[union-attr]
    assert all(0 < r.output_tokens <= 24 for r in batched)  # type: ignore[union-attr]


def test_one_article_that_cannot_be_prompted_fails_alone(tiny_model_dir: Path) -> None:
    loaded = _base(tiny_model_dir, "fp32")
    articles = [ARTICLES[0], ("An endless title " * 100, "Body."), ARTICLES[1]]

    results = summarize_batch(loaded, articles, batch_size=3)
    alone = summarize_batch(loaded, [ARTICLES[0], ARTICLES[1]], batch_size=2)

    assert isinstance(results[1], PromptTooLong)
    assert [r.text for r in (results[0], results[2])] == [r.text for r in alone]  # type: ignore[union-attr]


@pytest.mark.slow
def test_trained_adapter_gives_the_same_summaries_batched_and_one_by_one(
    trained_adapter_dir: Path, prepared_data_dir: Path
) -> None:
    from newsum.trainer.data import load_split

    loaded = load_for_inference(trained_adapter_dir, precision="nf4", device="cpu")
    pairs = load_split(prepared_data_dir / "test.jsonl")[:6]
    articles = [(p.title, p.article) for p in pairs]

    batched = summarize_batch(loaded, articles, batch_size=6)
    single = [summarize_batch(loaded, [article], batch_size=1)[0] for article in articles]

    texts = [r.text for r in batched]  # type: ignore[union-attr]
    assert texts == [r.text for r in single]  # type: ignore[union-attr]
    assert len(set(texts)) == len(texts)  # each article gets its own summary
    stopped = [r.output_tokens < loaded.manifest.max_new_tokens for r in batched]  # type: ignore[union-attr]
    assert sum(stopped) > len(stopped) / 2  # it learned to end a summary with EOS


def test_a_stop_signal_of_the_caller_ends_the_batch_instead_of_retrying_one_by_one(
    tiny_model_dir: Path,
) -> None:
    """A worker's soft time limit arrives as an exception raised from a signal handler at
    any point of generation; a type the caller names in ``stop_on`` must come through,
    never be recorded per article nor retried article by article."""
    import signal

    class TimeUp(Exception):
        pass

    loaded = _base(tiny_model_dir, "fp32")

    def time_up(*_: object) -> None:
        raise TimeUp()

    previous = signal.signal(signal.SIGALRM, time_up)
    signal.setitimer(signal.ITIMER_REAL, 0.05)
    try:
        with pytest.raises(TimeUp):
            for _ in range(200):  # each pass takes longer than the timer
                summarize_batch(loaded, ARTICLES, batch_size=len(ARTICLES), stop_on=(TimeUp,))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _RefusesFirst:
    """A checker that holds the first summary it saw for each article, and passes others."""

    def __init__(self) -> None:
        self.first: dict[str, str] = {}

    def check(self, article, summary: str):  # type: ignore[no-untyped-def]
        from newsum.modeling.faithfulness import Finding, Verdict

        first = self.first.setdefault(article.body, summary)
        return Verdict.of([Finding("unsupported_name", "first")] if summary == first else [])


def test_a_summary_the_check_holds_is_retried_as_candidates_and_the_first_passing_kept(
    tiny_model_dir: Path,
) -> None:
    loaded = _base(tiny_model_dir, "fp32")
    loaded.manifest.generation.candidates = 3
    articles = ARTICLES[:3]

    checked = summarize_batch(loaded, articles, batch_size=3, checker=_RefusesFirst())
    plain = summarize_batch(loaded, articles, batch_size=3)
    alone = [summarize_batch(loaded, [a], batch_size=1, checker=_RefusesFirst())[0]
             for a in articles]

    for result, first in zip(checked, plain, strict=True):
        assert isinstance(result, GeneratedSummary) and isinstance(first, GeneratedSummary)
        assert result.candidates == 4 and result.verdict is not None
        if result.verdict.passed:  # a beam that differs from the greedy summary
            assert result.text != first.text
        else:  # every beam equalled it: the first summary stays, held
            assert result.text == first.text
    assert [r.text for r in checked] == [r.text for r in alone]  # type: ignore[union-attr]
    assert any(r.verdict.passed for r in checked)  # type: ignore[union-attr]


def test_without_a_retry_the_held_summary_comes_back_with_its_findings(
    tiny_model_dir: Path,
) -> None:
    loaded = _base(tiny_model_dir, "fp32")
    loaded.manifest.generation.candidates = 1

    result = summarize_batch(loaded, ARTICLES[:1], batch_size=1, checker=_RefusesFirst())[0]

    assert isinstance(result, GeneratedSummary) and result.candidates == 1
    assert result.verdict is not None and result.verdict.kinds() == {"unsupported_name"}
