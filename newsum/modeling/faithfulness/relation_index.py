"""The article side of the relation check: what it needs of an article, built once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from newsum.modeling.faithfulness.datelines import prefix_end
from newsum.modeling.faithfulness.dates import DateId
from newsum.modeling.faithfulness.figure_context import FigureContextIndex
from newsum.modeling.faithfulness.language import detect_language
from newsum.modeling.faithfulness.names import (
    NameSpan,
)
from newsum.modeling.faithfulness.passages import (
    ArticleFacts,
    PassageIndex,
    PlacedSpan,
    figures_by_sentence,
)
from newsum.modeling.faithfulness.roles import RoleIndex
from newsum.modeling.faithfulness.sentences import (
    split_at,
    split_sentences,
)
from newsum.modeling.faithfulness.text import Token


@dataclass(frozen=True)
class RelationIndex:
    """What the relation checks need of an article, built once with its index."""

    language: str | None  # the article's, or the one its text is clearly in (for stems)
    declared: str | None  # the article's as given: foreign words are judged only then
    passages: PassageIndex
    roles: RoleIndex
    figures: FigureContextIndex
    vocabulary: frozenset[str]
    sayings: Mapping[str, frozenset[str]]  # key -> stems and words of the sentences naming them

    def said_of(self, key: str) -> frozenset[str]:
        """The stems and folded words of the article's sentences that name ``key``."""
        return self.sayings.get(key, frozenset())

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
        prefix = prefix_end(text)
        sentences = split_at(tokens, split_sentences(tokens), prefix)
        roles = RoleIndex.build(tokens, spans, language)
        placed = figures_by_sentence(figures, sentences)
        facts = ArticleFacts(sentences, spans, placed, dates)
        spans_of_roles = [(r.start, r.end) for r in roles.roles]
        holders = roles.holders()
        passages = PassageIndex.build(
            text, tokens, facts, language, spans_of_roles, holders, prefix
        )
        words = {t.folded for t in tokens if t.is_word}
        vocabulary = frozenset(words | {p for w in words for p in w.split("-")})
        sayings: dict[str, set[str]] = {}
        for single in passages.sentences:
            for key in single.persons:
                sayings.setdefault(key, set()).update(single.stems, single.words)
        return cls(
            language,
            declared,
            passages,
            roles,
            FigureContextIndex.build(tokens, sentences, placed, language),
            vocabulary,
            {key: frozenset(said) for key, said in sayings.items()},
        )
