"""The checker interface, the rule checker, and the per-summary support counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol, runtime_checkable

from newsum.modeling.faithfulness.claim_findings import (
    fact_findings,
    relation_findings,
    with_evidence,
)
from newsum.modeling.faithfulness.dates import DateId, date_mentions, date_positions
from newsum.modeling.faithfulness.form import (
    form_findings,
    injection_findings,
    planted_instructions,
    prompt_echoes,
)
from newsum.modeling.faithfulness.language import detect_language
from newsum.modeling.faithfulness.names import (
    NameIndex,
    NameSupport,
    defined_by_acronym,
    name_spans,
    names,
)
from newsum.modeling.faithfulness.numbers import Figure, FigureIndex, figure_spans, figures
from newsum.modeling.faithfulness.quotes import is_verbatim, normalize_for_quotes, quotes
from newsum.modeling.faithfulness.relations import RelationIndex, claims
from newsum.modeling.faithfulness.text import Token, tokens
from newsum.modeling.faithfulness.verdict import (
    ArticleText,
    Finding,
    FindingKind,
    LengthBounds,
    SupportCounts,
    Verdict,
)
from newsum.modeling.prompt import DEFAULT_TEMPLATE, PromptTemplate


@runtime_checkable
class FaithfulnessChecker(Protocol):
    """Anything that judges a summary against its article (rules today, NLI later)."""

    def check(self, article: ArticleText, summary: str) -> Verdict:
        """The verdict on ``summary``; never raises for odd text."""
        ...


@dataclass(frozen=True)
class ArticleIndex:
    """What an article offers to support a summary, built once per article."""

    language: str | None
    names: NameIndex
    figures: FigureIndex
    dates: frozenset[DateId]
    quote_text: str
    planted: tuple[str, ...]
    relations: RelationIndex


@lru_cache(maxsize=256)
def index_article(article: ArticleText) -> ArticleIndex:
    """The article's index; cached, since evaluation asks for counts and a verdict, and a
    batch checks an article's summary again after a retry: once per article per batch,
    for batches of up to 256 articles."""
    text = article.text
    article_tokens = tokens(text)
    placed_figures = figure_spans(text)
    spans = name_spans(article_tokens)
    dated = date_positions(article_tokens)
    return ArticleIndex(
        language=article.language,
        names=NameIndex.build(article_tokens, spans, article.language),
        figures=FigureIndex.build([figure for figure, _, _ in placed_figures]),
        dates=frozenset(date for _, date in dated),
        quote_text=normalize_for_quotes(text),
        planted=planted_instructions(text),
        relations=RelationIndex.build(
            text, article_tokens, spans, placed_figures, dated, article.language
        ),
    )


@dataclass(frozen=True)
class RuleChecker:
    """The default checker, by rule: form and language, then figures, names, dates,
    quotes and words, then roles, what figures count and who did what."""

    bounds: LengthBounds = field(default_factory=LengthBounds)
    template: PromptTemplate = DEFAULT_TEMPLATE

    def check(self, article: ArticleText, summary: str) -> Verdict:
        """Every finding on ``summary``; it passed iff there are none."""
        if not summary.strip():
            return Verdict.of([Finding(FindingKind.EMPTY, "")])
        index = index_article(article)
        summary_tokens = tokens(summary)
        summary_figures = figures(summary)
        language = _language_findings(summary_tokens, index)
        words = [
            *_figure_findings(summary_figures, index),
            *_date_findings(summary_tokens, summary_figures, index),
            *_name_findings(summary_tokens, index),
            *_quote_findings(summary, index),
        ]
        found = claims(
            summary, summary_tokens, index.names, index.figures, index.dates, index.relations
        )
        facts = fact_findings(
            summary, summary_tokens, found, index.relations, check_words=not language
        )
        return Verdict.of(
            [
                *form_findings(summary, self.bounds),
                *prompt_echoes(summary, self.template),
                *injection_findings(summary, index.planted),
                *language,
                *with_evidence(words, summary, found, index.relations),
                *facts,
                *relation_findings(summary, found, index.relations, words + facts),
            ]
        )


def check_summary(
    article: ArticleText, summary: str, *, bounds: LengthBounds | None = None
) -> Verdict:
    """The rule checker's verdict on ``summary`` (bounds default to at least 3 words)."""
    return RuleChecker(bounds=bounds or LengthBounds()).check(article, summary)


def support_counts(article: ArticleText, summary: str) -> SupportCounts:
    """Named entities and figures of ``summary``, and how many ``article`` supports."""
    index = index_article(article)
    judged = [index.names.judge(n) for n in names(tokens(summary))]
    entities = [j for j in judged if j is not NameSupport.ORDINARY_WORD]
    numbers = [f for f in figures(summary) if not f.article_like]
    return SupportCounts(
        entities_total=len(entities),
        entities_supported=entities.count(NameSupport.SUPPORTED),
        numbers_total=len(numbers),
        numbers_supported=sum(index.figures.supports(f) for f in numbers),
    )


def _language_findings(summary_tokens: list[Token], index: ArticleIndex) -> list[Finding]:
    if index.language is None:
        return []
    detected = detect_language(summary_tokens)
    if detected is None or detected == index.language:
        return []
    return [Finding(FindingKind.WRONG_LANGUAGE, detected)]


def _figure_findings(summary_figures: list[Figure], index: ArticleIndex) -> list[Finding]:
    return [
        Finding(FindingKind.UNSUPPORTED_NUMBER, f.text)
        for f in summary_figures
        if not (f.year or f.article_like or index.figures.supports(f))
    ]


def _date_findings(
    summary_tokens: list[Token], summary_figures: list[Figure], index: ArticleIndex
) -> list[Finding]:
    days = [
        Finding(FindingKind.UNSUPPORTED_DATE, word)
        for word, date in date_mentions(summary_tokens)
        if date not in index.dates
    ]
    years = [
        Finding(FindingKind.UNSUPPORTED_DATE, f.text)
        for f in summary_figures
        if f.year and not index.figures.supports(f)
    ]
    return days + years


def _name_findings(summary_tokens: list[Token], index: ArticleIndex) -> list[Finding]:
    defined = defined_by_acronym(summary_tokens, index.names)
    return [
        Finding(FindingKind.UNSUPPORTED_NAME, span.name.text)
        for span in name_spans(summary_tokens)
        if span.start not in defined and index.names.judge(span.name) is NameSupport.UNSUPPORTED
    ]


def _quote_findings(summary: str, index: ArticleIndex) -> list[Finding]:
    return [
        Finding(FindingKind.UNSUPPORTED_QUOTE, q)
        for q in quotes(summary)
        if not is_verbatim(q, index.quote_text)
    ]
