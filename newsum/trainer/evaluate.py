"""``newsum eval``: ROUGE, faithfulness and truth of three systems side by side.

Systems: lead-3 (the article's first three sentences, strong on news), the base model
prompted zero-shot, and the adapter. Both models generate through
:func:`newsum.modeling.generation.summarize_batch`, the workers' own code path, with the
workers' own check and retry, so the scores are what production produces and publishes.
ROUGE is rouge-score's ROUGE-1, ROUGE-2 and summary-level ROUGE-L (``rougeLsum``, one
sentence per line), F1, with stemming. Faithfulness is entity precision and number
precision over all summaries (Nan et al. 2021: names and figures of the summaries found
in their articles, divided by all their names and figures) and the share of summaries
that pass the check as a worker applies it (the manifest's length budget included),
i.e. that a worker would publish. Where pairs carry a fact record, the truth by that
record (:mod:`newsum.trainer.scoring`): fact accuracy, invented words, and how good the
check is against it. Scores are given over all pairs and per language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rouge_score import rouge_scorer

from newsum.modeling.faithfulness import FaithfulnessChecker, LengthBounds, RuleChecker
from newsum.modeling.generation import GeneratedSummary, summarize_batch, summary_checker
from newsum.modeling.loading import LoadedModel, Precision, load_for_inference, release_memory
from newsum.modeling.manifest import AdapterManifest
from newsum.trainer.data import Pair
from newsum.trainer.facts import Lexicon
from newsum.trainer.report import format_table, write_report
from newsum.trainer.scoring import check_scores, lexicon_of, passes, truth_scores

__all__ = ["EvalReport", "SystemScores", "evaluate_systems", "score_system", "write_report"]

ROUGE_TYPES = ("rouge1", "rouge2", "rougeLsum")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class SystemScores:
    """One system's scores over the evaluated pairs (ROUGE F1 in [0, 1])."""

    name: str
    rouge1: float
    rouge2: float
    rougeLsum: float  # noqa: N815 (rouge-score's own name)
    mean_words: float
    copied_trigrams: float  # share of the summary's word trigrams found in the article
    entity_precision: float | None = None  # names found in the article / names in summaries
    number_precision: float | None = None  # figures found in the article / figures in them
    passed: float = 0.0  # share of summaries that pass the faithfulness check
    failures: int = 0
    judged: int = 0  # summaries whose pair has a fact record
    fact_accuracy: float | None = None  # share wholly true by the record
    invented_words: float | None = None  # share of words neither the article's nor the language's
    passed_true: float | None = None  # of the summaries the check passes, the share true
    false_held: float | None = None  # of the false summaries, the share the check holds


@dataclass
class Example:
    """One article with the reference and every system's summary."""

    id: str
    title: str
    reference: str
    outputs: dict[str, str]


@dataclass
class EvalReport:
    """Scores of every system, the outputs they came from, and a few examples."""

    pairs: int
    systems: list[SystemScores]
    outputs: dict[str, list[str]] = field(default_factory=dict)
    examples: list[Example] = field(default_factory=list)
    by_language: dict[str, list[SystemScores]] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)  # pairs per language

    def metrics(self) -> dict[str, Any]:
        """Scores by system (and ``by_language``), as stored in the adapter manifest."""
        metrics: dict[str, Any] = _by_system(self.systems)
        if self.by_language:
            metrics["by_language"] = {
                language: _by_system(systems) for language, systems in self.by_language.items()
            }
        return metrics

    def score(self, system: str, metric: str = "rougeLsum", language: str | None = None) -> float:
        """One system's value of ``metric``, over all pairs or one language's."""
        systems = self.systems if language is None else self.by_language[language]
        return float(next(getattr(s, metric) for s in systems if s.name == system))

    def table(self) -> str:
        """Fixed-width text tables, one row per system: all pairs, then each language."""
        blocks = [format_table(f"{self.pairs} test pairs", self.systems)]
        for language, systems in self.by_language.items():
            blocks.append(format_table(f"{language}: {self.languages[language]} pairs", systems))
        return "\n\n".join(blocks)


def _by_system(systems: Sequence[SystemScores]) -> dict[str, Any]:
    return {s.name: {k: v for k, v in asdict(s).items() if k != "name"} for s in systems}


def sentences(text: str) -> list[str]:
    """The text split into sentences (rougeLsum wants one per line)."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def lead3(article: str) -> str:
    """The first three sentences of the article."""
    return " ".join(sentences(article)[:3])


def copied_trigrams(summary: str, article: str) -> float:
    """Share of the summary's word trigrams that appear verbatim in the article."""
    summary_grams = _trigrams(summary)
    if not summary_grams:
        return 0.0
    article_grams = set(_trigrams(article))
    return sum(g in article_grams for g in summary_grams) / len(summary_grams)


def _trigrams(text: str) -> list[tuple[str, ...]]:
    words = [w.lower() for w in _WORD.findall(text)]
    return [tuple(words[i : i + 3]) for i in range(len(words) - 2)]


def score_system(
    name: str,
    predictions: Sequence[str],
    pairs: Sequence[Pair],
    failures: int = 0,
    *,
    bounds: LengthBounds | None = None,
    passed: Sequence[bool] | None = None,
    lexicon: Lexicon | None = None,
) -> SystemScores:
    """ROUGE F1 (mean over pairs), faithfulness, truth, mean length in words and copy rate
    of one system. ``passed`` says which summaries passed the check where they were
    generated; without it they are checked here, within ``bounds`` (the manifest's).
    ``lexicon`` is what the judge knows of the corpus (default: these pairs')."""
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    totals = dict.fromkeys(ROUGE_TYPES, 0.0)
    for prediction, pair in zip(predictions, pairs, strict=True):
        scores = scorer.score("\n".join(sentences(pair.summary)), "\n".join(sentences(prediction)))
        for key in ROUGE_TYPES:
            totals[key] += scores[key].fmeasure
    count = max(len(pairs), 1)
    if passed is None:
        passed = passes(RuleChecker(bounds=bounds or LengthBounds()), predictions, pairs)
    truth = truth_scores(predictions, pairs, passed, lexicon or lexicon_of(pairs))
    return SystemScores(
        name=name,
        rouge1=round(totals["rouge1"] / count, 4),
        rouge2=round(totals["rouge2"] / count, 4),
        rougeLsum=round(totals["rougeLsum"] / count, 4),
        mean_words=round(sum(len(_WORD.findall(p)) for p in predictions) / count, 2),
        copied_trigrams=round(
            sum(copied_trigrams(p, x.article) for p, x in zip(predictions, pairs, strict=True))
            / count,
            4,
        ),
        failures=failures,
        **check_scores(predictions, pairs, passed),  # type: ignore[arg-type]
        **truth.as_dict(),  # type: ignore[arg-type]
    )


@dataclass
class Generated:
    """One system's summaries ('' for a failed article), which failed, which passed."""

    texts: list[str]
    failed: set[int]
    passed: list[bool]


def generate(
    loaded: LoadedModel, pairs: Sequence[Pair], batch_size: int,
    checker: FaithfulnessChecker | None = None,
) -> Generated:
    """Summaries of ``pairs`` by ``loaded`` through the workers' path: generated, checked
    by ``checker`` (default: the adapter's :func:`summary_checker`) and retried."""
    checker = checker or summary_checker(loaded.manifest)
    results = summarize_batch(
        loaded, [(p.title, p.article) for p in pairs], batch_size=batch_size,
        checker=checker, languages=[p.language for p in pairs],
    )
    return Generated(
        texts=[r.text if isinstance(r, GeneratedSummary) else "" for r in results],
        failed={i for i, r in enumerate(results) if not isinstance(r, GeneratedSummary)},
        passed=[
            isinstance(r, GeneratedSummary) and r.verdict is not None and r.verdict.passed
            for r in results
        ],
    )


def _generate_with(
    load: Callable[[], LoadedModel], pairs: Sequence[Pair], batch_size: int
) -> Generated:
    """:func:`generate` with the model ``load`` gives, freed before the next one loads."""
    loaded = load()
    try:
        return generate(loaded, pairs, batch_size)
    finally:
        del loaded
        release_memory()


def evaluate_systems(
    pairs: Sequence[Pair],
    *,
    adapter_dir: Path,
    base_model: str | None = None,
    precision: Precision = "nf4",
    batch_size: int = 8,
    device: str = "auto",
    n_examples: int = 5,
    manifest: AdapterManifest | None = None,
    previous_adapter: Path | None = None,
    lexicon: Lexicon | None = None,
) -> EvalReport:
    """Score lead-3, the base model zero-shot and the adapter on ``pairs``.

    The base model gets the adapter's prompt, token budgets and decoding settings, so
    that the adapter is the only difference. With ``previous_adapter`` (the version this
    one was trained from), that version takes the base model's place: version N against
    N+1, on the same pairs. The models are loaded one after the other. ``manifest``
    stands in for ``adapter_dir/manifest.json`` when it is not written yet. ``lexicon``
    is the corpus the judge knows words, roles and events from (default: ``pairs``').
    """
    manifest = manifest or AdapterManifest.load(adapter_dir)
    checker = summary_checker(manifest)
    lead = [lead3(p.article) for p in pairs]
    runs = {"lead-3": Generated(lead, set(), passes(checker, lead, pairs))}

    def base() -> LoadedModel:
        loaded = load_for_inference(
            None, base_model=base_model or manifest.base_model, precision=precision,
            device=device,
        )
        loaded.manifest = manifest  # the adapter's prompt, budgets and decoding
        return loaded

    def adapter(folder: Path, own: AdapterManifest | None = None) -> Callable[[], LoadedModel]:
        return lambda: load_for_inference(
            folder, base_model=base_model, precision=precision, device=device, manifest=own
        )

    if previous_adapter is None:
        runs["base"] = _generate_with(base, pairs, batch_size)
    else:
        runs["previous"] = _generate_with(adapter(previous_adapter), pairs, batch_size)
    runs["adapter"] = _generate_with(adapter(adapter_dir, manifest), pairs, batch_size)
    lexicon = lexicon or lexicon_of(pairs)

    def scores(indices: Sequence[int]) -> list[SystemScores]:
        return [
            score_system(
                name, [run.texts[i] for i in indices], [pairs[i] for i in indices],
                len(run.failed.intersection(indices)), passed=[run.passed[i] for i in indices],
                lexicon=lexicon,
            )
            for name, run in runs.items()
        ]

    languages = _languages(pairs)
    by_language = (
        {language: scores(indices) for language, indices in languages.items()}
        if len(languages) > 1 else {}
    )
    outputs = {name: run.texts for name, run in runs.items()}
    examples = [
        Example(
            str(p.id), p.title or "", p.summary, {name: texts[i] for name, texts in outputs.items()}
        )
        for i, p in enumerate(pairs[:n_examples])
    ]
    return EvalReport(
        pairs=len(pairs), systems=scores(range(len(pairs))), outputs=outputs,
        examples=examples, by_language=by_language,
        languages={language: len(indices) for language, indices in languages.items()},
    )


def _languages(pairs: Sequence[Pair]) -> dict[str, list[int]]:
    """Indices of the pairs of each language ("unknown" when a pair does not say)."""
    groups: dict[str, list[int]] = {}
    for index, pair in enumerate(pairs):
        groups.setdefault(pair.language or "unknown", []).append(index)
    return dict(sorted(groups.items()))
