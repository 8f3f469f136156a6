"""``newsum eval``: ROUGE and faithfulness of three systems side by side on held-out pairs.

Systems: lead-3 (the article's first three sentences, strong on news), the base model
prompted zero-shot, and the adapter. Both models generate through
:func:`newsum.modeling.generation.summarize_batch`, the workers' own code path, and every
summary is judged by :mod:`newsum.modeling.faithfulness`, the workers' own check, so the
scores are what production produces and publishes. ROUGE is rouge-score's ROUGE-1,
ROUGE-2 and summary-level ROUGE-L (``rougeLsum``, one sentence per line), F1, with
stemming. Faithfulness is entity precision and number precision over all summaries
(Nan et al. 2021: names and figures of the summaries found in their articles, divided by
all their names and figures) and the share of summaries that pass the check as a worker
applies it (the manifest's length budget included), i.e. that a worker would publish.
Scores are given over all pairs and per language.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rouge_score import rouge_scorer

from newsum.modeling.faithfulness import (
    ArticleText,
    LengthBounds,
    RuleChecker,
    SupportCounts,
    support_counts,
)
from newsum.modeling.generation import GeneratedSummary, summarize_batch
from newsum.modeling.loading import LoadedModel, Precision, load_for_inference, release_memory
from newsum.modeling.manifest import AdapterManifest
from newsum.trainer.data import Pair

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
        blocks = [_table(f"{self.pairs} test pairs", self.systems)]
        for language, systems in self.by_language.items():
            blocks.append(_table(f"{language}: {self.languages[language]} pairs", systems))
        return "\n\n".join(blocks)


def _by_system(systems: Sequence[SystemScores]) -> dict[str, Any]:
    return {s.name: {k: v for k, v in asdict(s).items() if k != "name"} for s in systems}


def _precision(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"  # "-": the summaries named none


def _table(title: str, systems: Sequence[SystemScores]) -> str:
    head = (
        f"{'system':<10} {'ROUGE-1':>8} {'ROUGE-2':>8} {'ROUGE-Lsum':>10} {'entity P':>9}"
        f" {'number P':>9} {'pass':>6} {'words':>6} {'copied':>7}"
    )
    rows = [
        f"{s.name:<10} {s.rouge1 * 100:8.2f} {s.rouge2 * 100:8.2f} {s.rougeLsum * 100:10.2f}"
        f" {_precision(s.entity_precision):>9} {_precision(s.number_precision):>9}"
        f" {s.passed * 100:5.1f}%"
        f" {s.mean_words:6.1f} {s.copied_trigrams * 100:6.1f}%"
        for s in systems
    ]
    note = "ROUGE F1 x 100; entity/number precision; pass = share a worker would publish"
    return "\n".join([f"{title} ({note})", head, *rows])


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
) -> SystemScores:
    """ROUGE F1 (mean over pairs), faithfulness, mean length in words and copy rate of one
    system; ``bounds`` is the summary length the check allows (the manifest's)."""
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    totals = dict.fromkeys(ROUGE_TYPES, 0.0)
    for prediction, pair in zip(predictions, pairs, strict=True):
        scores = scorer.score("\n".join(sentences(pair.summary)), "\n".join(sentences(prediction)))
        for key in ROUGE_TYPES:
            totals[key] += scores[key].fmeasure
    count = max(len(pairs), 1)
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
        **_faithfulness(predictions, pairs, bounds or LengthBounds()),
    )


def _faithfulness(
    predictions: Sequence[str], pairs: Sequence[Pair], bounds: LengthBounds
) -> dict[str, float | None]:
    """Corpus-level entity and number precision, and the share passing the check."""
    checker = RuleChecker(bounds=bounds)
    total = SupportCounts(0, 0, 0, 0)
    passed = 0
    for prediction, pair in zip(predictions, pairs, strict=True):
        article = ArticleText(pair.title, pair.article, pair.language)
        total = total + support_counts(article, prediction)
        passed += checker.check(article, prediction).passed
    entity, number = total.entity_precision, total.number_precision
    return {
        "entity_precision": None if entity is None else round(entity, 4),
        "number_precision": None if number is None else round(number, 4),
        "passed": round(passed / max(len(pairs), 1), 4),
    }


def generate(
    loaded: LoadedModel, pairs: Sequence[Pair], batch_size: int
) -> tuple[list[str], set[int]]:
    """Summaries of ``pairs`` by ``loaded`` ('' for a failed article) and the failed indices."""
    results = summarize_batch(loaded, [(p.title, p.article) for p in pairs], batch_size=batch_size)
    texts = [r.text if isinstance(r, GeneratedSummary) else "" for r in results]
    return texts, {i for i, r in enumerate(results) if not isinstance(r, GeneratedSummary)}


def _generate_with(
    load: Callable[[], LoadedModel], pairs: Sequence[Pair], batch_size: int
) -> tuple[list[str], set[int]]:
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
) -> EvalReport:
    """Score lead-3, the base model zero-shot and the adapter on ``pairs``.

    The base model gets the adapter's prompt, token budgets and decoding settings, so
    that the adapter is the only difference. With ``previous_adapter`` (the version this
    one was trained from), that version takes the base model's place: version N against
    N+1, on the same pairs. The models are loaded one after the other. ``manifest``
    stands in for ``adapter_dir/manifest.json`` when it is not written yet.
    """
    manifest = manifest or AdapterManifest.load(adapter_dir)
    outputs: dict[str, list[str]] = {"lead-3": [lead3(p.article) for p in pairs]}
    failed: dict[str, set[int]] = {"lead-3": set()}

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
        outputs["base"], failed["base"] = _generate_with(base, pairs, batch_size)
    else:
        outputs["previous"], failed["previous"] = _generate_with(
            adapter(previous_adapter), pairs, batch_size
        )
    outputs["adapter"], failed["adapter"] = _generate_with(
        adapter(adapter_dir, manifest), pairs, batch_size
    )
    bounds = LengthBounds.from_max_tokens(manifest.max_new_tokens)
    systems = [
        score_system(name, texts, pairs, len(failed[name]), bounds=bounds)
        for name, texts in outputs.items()
    ]
    languages = _languages(pairs)
    by_language = {
        language: [
            score_system(
                name, [texts[i] for i in indices], [pairs[i] for i in indices],
                len(failed[name].intersection(indices)), bounds=bounds,
            )
            for name, texts in outputs.items()
        ]
        for language, indices in languages.items()
    } if len(languages) > 1 else {}
    examples = [
        Example(
            str(p.id), p.title or "", p.summary, {name: texts[i] for name, texts in outputs.items()}
        )
        for i, p in enumerate(pairs[:n_examples])
    ]
    return EvalReport(
        pairs=len(pairs), systems=systems, outputs=outputs, examples=examples,
        by_language=by_language,
        languages={language: len(indices) for language, indices in languages.items()},
    )


def _languages(pairs: Sequence[Pair]) -> dict[str, list[int]]:
    """Indices of the pairs of each language ("unknown" when a pair does not say)."""
    groups: dict[str, list[int]] = {}
    for index, pair in enumerate(pairs):
        groups.setdefault(pair.language or "unknown", []).append(index)
    return dict(sorted(groups.items()))


def write_report(report: EvalReport, out_dir: Path) -> Path:
    """Write ``eval.txt`` (the table), ``eval.json`` and ``examples.md`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "eval.txt").write_text(report.table() + "\n", encoding="utf-8")
    data = {"pairs": report.pairs, "metrics": report.metrics(), "outputs": report.outputs}
    (out_dir / "eval.json").write_text(
        json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    lines = ["# Side-by-side examples", ""]
    for example in report.examples:
        lines += [
            f"## {example.id}: {example.title}",
            "",
            f"**reference**: {example.reference}",
            "",
        ]
        lines += [f"**{name}**: {text or '(no output)'}" for name, text in example.outputs.items()]
        lines.append("")
    (out_dir / "examples.md").write_text("\n".join(lines), encoding="utf-8")
    return out_dir

