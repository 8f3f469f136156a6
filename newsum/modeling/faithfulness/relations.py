"""Who did what, together: each summary sentence against the article's passages.

A summary built of the article's own words in the wrong places ("the league director
Ruth Shaw signed a new contract", when Sarah Reed signed it and Ruth Shaw welcomed it)
passes every word-level check. Here each summary sentence is a claim; its *anchors*
are the names, figures and days it states, its *content* the other words that say
something (stemmed: see ``stems``). The claim is supported when one passage of the
article (a sentence, or a sentence and the next: see ``passages``) holds every anchor
and at least two thirds of the content. The passage that came closest is the
evidence, on this finding and on the word-level findings of the same sentence.

Roles (``roles``), what figures count (``figure_context``) and words (``words``) are
judged on the same sentences (see ``claim_findings``).
"""

from __future__ import annotations

from dataclasses import dataclass

from newsum.modeling.faithfulness.dates import DateId, date_mentions
from newsum.modeling.faithfulness.figure_context import FigureContextIndex
from newsum.modeling.faithfulness.language import detect_language, leaning
from newsum.modeling.faithfulness.names import NameIndex, NameSpan, NameSupport, name_spans
from newsum.modeling.faithfulness.numbers import Figure, FigureIndex, figures
from newsum.modeling.faithfulness.passages import (
    ArticleFacts,
    Passage,
    PassageIndex,
    PlacedSpan,
    figures_by_sentence,
)
from newsum.modeling.faithfulness.roles import Role, RoleIndex, appositions
from newsum.modeling.faithfulness.sentences import Sentence, split_sentences
from newsum.modeling.faithfulness.stems import is_content, token_stems
from newsum.modeling.faithfulness.text import Token

COVERAGE = 2 / 3
"""Share of a claim's content words one passage must hold."""

_POSSESSIVE = ("'s", "’s")
_CONNECTORS = frozenset({"de", "da", "do", "das", "dos", "of", "the", "del", "di", "von", "van"})


@dataclass(frozen=True)
class RelationIndex:
    """What the relation checks need of an article, built once with its index."""

    language: str | None  # the article's, or the one its text is clearly in (for stems)
    declared: str | None  # the article's as given: foreign words are judged only then
    passages: PassageIndex
    roles: RoleIndex
    figures: FigureContextIndex
    vocabulary: frozenset[str]

    @classmethod
    def build(
        cls,
        text: str,
        tokens: list[Token],
        spans: list[NameSpan],
        figures: list[PlacedSpan],
        dates: list[tuple[int, DateId]],
        declared: str | None,
    ) -> RelationIndex:
        """The index of an article's ``text``: its ``tokens``, with names at ``spans``,
        its ``figures`` and its ``dates`` (token positions), each found once."""
        language = declared or detect_language(tokens)
        sentences = split_sentences(tokens)
        roles = RoleIndex.build(tokens, spans, language)
        placed = figures_by_sentence(figures, sentences)
        facts = ArticleFacts(sentences, spans, placed, dates)
        spans_of_roles = [(r.start, r.end) for r in roles.roles]
        holders = roles.holders()
        passages = PassageIndex.build(text, tokens, facts, language, spans_of_roles, holders)
        words = {t.folded for t in tokens if t.is_word}
        vocabulary = frozenset(words | {p for w in words for p in w.split("-")})
        return cls(
            language,
            declared,
            passages,
            roles,
            FigureContextIndex.build(tokens, sentences, placed, language),
            vocabulary,
        )


@dataclass(frozen=True)
class Claim:
    """One summary sentence and the passage that best supports it."""

    sentence: Sentence
    anchors: int
    held: int
    coverage: float
    passage: Passage | None

    @property
    def supported(self) -> bool:
        """Every anchor and enough of the content in one passage."""
        return self.held == self.anchors and self.coverage >= COVERAGE


@dataclass(frozen=True)
class _Anchors:
    names: list[tuple[str, ...]]
    figures: list[Figure]
    dates: list[DateId]
    subjects: set[str]  # the surnames of the people the claim is about

    def count(self) -> int:
        return len(self.names) + len(self.figures) + len(self.dates)


def _held(anchors: _Anchors, passage: Passage, index: RelationIndex) -> int:
    persons = index.passages.persons
    held = sum(
        (words[-1] in passage.words) if words[-1] in persons else passage.words.issuperset(words)
        for words in anchors.names
    )
    held += sum(
        not f.readings.isdisjoint(passage.percents if f.percent else passage.values)
        for f in anchors.figures
    )
    return held + sum(d in passage.dates for d in anchors.dates)


def _parts(words: tuple[str, ...]) -> list[tuple[str, ...]]:
    parts: list[tuple[str, ...]] = [()]
    for word in words:
        if word in _CONNECTORS:
            parts.append(())
        else:
            parts[-1] += (word,)
    return [p for p in parts if p]


def _in_setting(words: tuple[str, ...], index: RelationIndex) -> bool:
    return any(set(words) <= set(name) for name in index.passages.setting)


def _anchors(
    text: str,
    part: list[Token],
    spans: list[NameSpan],
    names: NameIndex,
    article: FigureIndex,
    dates: frozenset[DateId],
    index: RelationIndex,
) -> _Anchors:
    """The facts of one sentence that the article holds somewhere (the rest are the
    word-level checks' findings), less the setting's names and dates."""
    kept = []
    subjects = set()
    for span in spans:
        if names.judge(span.name) is not NameSupport.SUPPORTED:
            continue
        for part_words in _parts(span.name.words):  # "Ana Souza of Vila Nova": two names
            if not _in_setting(part_words, index):
                kept.append(part_words)
        last = span.name.words[-1]
        if last in index.passages.persons and not part[span.end - 1].raw.endswith(_POSSESSIVE):
            subjects.add(last)  # "Okafor's council backed ...": the claim is the council's
    found = [f for f in figures(text) if not f.article_like and article.supports(f)]
    setting_dates = index.passages.setting_dates
    days = [d for _, d in date_mentions(part) if d in dates and d not in setting_dates]
    return _Anchors(kept, found, days, subjects)


def _content(part: list[Token], skipped: set[int], language: str | None) -> frozenset[str]:
    return frozenset(
        s
        for i, t in enumerate(part)
        if i not in skipped and is_content(t) and not (t.capitalised and not t.sentence_initial)
        for s in token_stems(t, language)
    )


def claims(
    summary: str,
    summary_tokens: list[Token],
    names: NameIndex,
    article_figures: FigureIndex,
    dates: frozenset[DateId],
    index: RelationIndex,
) -> list[Claim]:
    """One claim per sentence of ``summary``, each with its best passage.

    A summary clearly in another language than the article (allowed when the article's
    language is not given) is compared by its anchors only: its words cannot be the
    article's."""
    found = []
    roles = list(appositions(summary_tokens, name_spans(summary_tokens), index.language))
    written_in = leaning(summary_tokens)
    translated = written_in is not None and written_in != index.language
    for sentence in split_sentences(summary_tokens):
        part = summary_tokens[sentence.first : sentence.last]
        spans = name_spans(part)
        skipped = _skipped(part, spans, roles)
        anchors = _anchors(
            sentence.text(summary), part, spans, names, article_figures, dates, index
        )
        content = frozenset() if translated else _content(part, skipped, index.language)
        found.append(_best(sentence, anchors, content, index))
    return found


def _skipped(part: list[Token], spans: list[NameSpan], roles: list[Role]) -> set[int]:
    """Positions of name words, and of role words (the role check judges those)."""
    skipped = {i for s in spans for i in range(s.start, s.end)}
    for i, token in enumerate(part):
        if any(r.start <= token.start < r.end for r in roles):
            skipped.add(i)
    return skipped


def _best(
    sentence: Sentence, anchors: _Anchors, content: frozenset[str], index: RelationIndex
) -> Claim:
    total = anchors.count()
    best: tuple[int, float, int] | None = None
    chosen = None
    for passage in index.passages.passages:
        held = _held(anchors, passage, index)
        coverage = passage.coverage(content, anchors.subjects)
        key = (held, coverage, passage.start - passage.end)
        if best is None or key > best:
            best, chosen = key, passage
    if best is None:
        return Claim(sentence, total, 0, 0.0 if content else 1.0, None)
    return Claim(sentence, total, best[0], best[1], chosen)
