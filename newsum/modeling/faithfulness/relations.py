"""Who did what, together: each summary sentence against the article's passages.

A summary built of the article's own words in the wrong places ("the league director
Ruth Shaw signed a new contract", when Sarah Reed signed it and Ruth Shaw welcomed it)
passes every word-level check. Here each summary sentence is a claim (a clause with a
subject of its own is one too: see ``sentences.split_clauses``); its *anchors* are the
names, figures and days it states, and the person a description stands for ("the
30-year-old", "the former club boss": see ``references``); its *content* the other words
that say something (stemmed: see ``stems``). The claim is supported when one passage
of the article (a sentence, or a sentence and the next: see ``passages``) holds every
anchor and at least two thirds of all its facts, each anchor counting as one fact like
each content word. A person is held by any name the article gives them (see
``people``); a day, or a place a preposition introduces, also by another sentence that
names the claim's person; and what is said of the person may be completed by one more
sentence that names them. The passage that came closest is the evidence, on this
finding and on the word-level findings of the same sentence.

Roles (``roles``), what figures count (``figure_context``) and words (``words``) are
judged on the same sentences (see ``claim_findings``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from newsum.modeling.faithfulness.anchors import Anchors, count_held, sentence_anchors
from newsum.modeling.faithfulness.datelines import prefix_end
from newsum.modeling.faithfulness.dates import DateId
from newsum.modeling.faithfulness.figure_context import FigureContextIndex
from newsum.modeling.faithfulness.language import detect_language, leaning
from newsum.modeling.faithfulness.names import (
    NameIndex,
    NameSpan,
    name_spans,
)
from newsum.modeling.faithfulness.numbers import FigureIndex
from newsum.modeling.faithfulness.passages import (
    ArticleFacts,
    Passage,
    PassageIndex,
    PlacedSpan,
    figures_by_sentence,
)
from newsum.modeling.faithfulness.references import sentence_facets
from newsum.modeling.faithfulness.roles import Role, RoleIndex, appositions
from newsum.modeling.faithfulness.sentences import (
    Sentence,
    split_at,
    split_clauses,
    split_sentences,
)
from newsum.modeling.faithfulness.stems import is_content, token_stems
from newsum.modeling.faithfulness.text import Token
from newsum.modeling.faithfulness.voice import active_deeds, only_passive

COVERAGE = 2 / 3
"""Share of a claim's facts (its anchors and content words) one passage must hold."""



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


@dataclass(frozen=True)
class Claim:
    """One summary sentence and the passage that best supports it."""

    sentence: Sentence
    anchors: int
    held: int
    coverage: float  # the share of its content words the passage holds
    passage: Passage | None
    content: int = 0  # how many content words it has
    turned: bool = False  # it says its person did what the passage has done to someone

    @property
    def share(self) -> float:
        """The share of the claim's facts the passage holds: a name, a figure or a day
        counts as one fact, like a content word; the most telling ones, so a passage
        that holds every one of them needs fewer of the other words ("Eastport beat
        Westvale 2-1 on Sunday" is "Eastport's 2-1 victory over Westvale on Sunday")."""
        total = self.anchors + self.content
        return 1.0 if not total else (self.held + self.coverage * self.content) / total

    @property
    def supported(self) -> bool:
        """Every anchor, and enough of all the facts, in one passage, told in its voice."""
        return self.held == self.anchors and self.share >= COVERAGE and not self.turned


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
    named: list[str] = []  # the summary's persons so far, the last sentence's first
    for sentence in split_sentences(summary_tokens):
        for clause in split_clauses(summary_tokens, sentence):
            part = summary_tokens[clause.first : clause.last]
            spans = name_spans(part)
            people = index.passages.people
            facets = sentence_facets(part, spans, named, people, index.said_of, index.language)
            skipped = _skipped(part, spans, roles) | facets.positions()
            anchors = sentence_anchors(
                clause.text(summary), part, spans, names, article_figures, dates, index, facets
            )
            content = frozenset() if translated else _content(part, skipped, index.language)
            found.append(_in_voice(_best(clause, anchors, content, index), part, spans, index))
            keys = [k for s in spans if (k := people.key(s.name.words))]
            if facets.referent:
                keys.insert(0, facets.referent.key)
            named = [*dict.fromkeys([*keys, *named])]  # its subject first, then the last
    return found


def _skipped(part: list[Token], spans: list[NameSpan], roles: list[Role]) -> set[int]:
    """Positions of name words, and of role words (the role check judges those)."""
    skipped = {i for s in spans for i in range(s.start, s.end)}
    for i, token in enumerate(part):
        if any(r.start <= token.start < r.end for r in roles):
            skipped.add(i)
    return skipped


def _best(
    sentence: Sentence, anchors: Anchors, content: frozenset[str], index: RelationIndex
) -> Claim:
    total = anchors.count()
    best: tuple[int, float, int] | None = None
    chosen = None
    for passage in index.passages.passages:
        count = count_held(anchors, passage, index)
        coverage = passage.coverage(content, anchors.subjects)
        key = (count, coverage, passage.start - passage.end)
        if best is None or key > best:
            best, chosen = key, passage
    if best is None or chosen is None:
        return Claim(sentence, total, 0, 0.0 if content else 1.0, None, len(content))
    claim = Claim(sentence, total, best[0], best[1], chosen, len(content))
    if claim.supported or claim.held < total or not content:
        return claim
    return _with_tied(claim, content, anchors.subjects, index)


def _in_voice(
    claim: Claim, part: list[Token], spans: list[NameSpan], index: RelationIndex
) -> Claim:
    """``claim``, turned when its passage tells a deed of its people only in the passive
    (see ``voice``)."""
    if claim.passage is None or index.language not in (None, "en"):
        return claim
    text = index.passages.quote(claim.passage)
    if any(only_passive(deed, text) for deed in active_deeds(part, spans)):
        return replace(claim, turned=True)
    return claim


def _with_tied(
    claim: Claim, content: frozenset[str], subjects: set[str], index: RelationIndex
) -> Claim:
    """``claim`` with what another sentence naming its person says of them: a passage
    that holds every name, figure and day of the claim may leave part of what is said
    of the person to a sentence elsewhere that names them ("Souza hopes to play in
    the final on May 3 ... her first game for the club").
    Names and figures are never taken from there: they are the relation."""
    passage = claim.passage
    if passage is None or not subjects:
        return claim
    said = passage.says(content, subjects)
    best = claim
    for other in index.passages.sentences:
        if other.persons.isdisjoint(subjects) or passage.start <= other.start < passage.end:
            continue
        coverage = len(said | (content & other.stems)) / len(content)
        if coverage > best.coverage:
            best = replace(claim, coverage=coverage)
    return best
