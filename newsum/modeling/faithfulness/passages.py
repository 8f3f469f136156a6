"""The article as passages: each sentence, and each sentence with the next, with the
names, figures, days and content words it holds.

A summary sentence is supported when one passage holds all its facts together (see
``relations``). Two sentences, because news often names a person in one sentence and
gives the figure in the next ("... cut electricity prices. Households will pay 6
percent less"). Built once per article, with the index.

Two kinds of name are told apart here. A *person* is a name the article gives a role
to, refers to by surname alone, or quotes ("Okafor said"); a person must be in the
passage, and the surname stands for the full name. Any other name that the title or
the first two sentences hold (the town, the body) is the article's *setting*: the
whole article is about it, so a passage need not repeat it. So is a day or month the
lead names when the article names no other of its kind ("on Saturday" in the first
sentence of a report of one match).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from newsum.modeling.faithfulness.dates import DateId
from newsum.modeling.faithfulness.names import NameSpan
from newsum.modeling.faithfulness.numbers import Figure
from newsum.modeling.faithfulness.people import People
from newsum.modeling.faithfulness.sentences import Sentence
from newsum.modeling.faithfulness.stems import REPORTING_WORDS, content_stems
from newsum.modeling.faithfulness.text import Token, squash_spaces, word_set

_LEAD_SENTENCES = 3  # the title and the first two sentences of the body
_PRONOUNS = word_set("he she him his her hers ele ela dele dela")
_OPENERS = word_set("the they it its their this o a os as eles elas seu sua")
_CONTINUING = word_set("he she the his her ele ela o a")
"""A sentence that opens with one of these and names no one ("The visitors sealed it
late", "They will now face ...") goes on about the one named just before."""


@dataclass(frozen=True)
class Passage:
    """One article sentence, or two neighbours: what they hold, folded."""

    start: int
    end: int
    words: frozenset[str]
    stems: frozenset[str]
    values: frozenset[Decimal]
    percents: frozenset[Decimal]
    dates: frozenset[DateId]
    persons: frozenset[str]  # the surnames of the people it names
    predicate: frozenset[str]  # its stems less those of roles ("Shaw, the club president,")
    pronoun: bool  # it says "he", "ela"..., or opens with "The": it may go on about someone
    parts: tuple[Passage, ...] = ()  # its two sentences, for a pair

    def joined(self, after: Passage) -> Passage:
        """This passage and the one after it, as one."""
        return Passage(
            self.start,
            after.end,
            self.words | after.words,
            self.stems | after.stems,
            self.values | after.values,
            self.percents | after.percents,
            self.dates | after.dates,
            self.persons | after.persons,
            self.predicate | after.predicate,
            self.pronoun or after.pronoun,
            (self, after),
        )

    def coverage(self, content: frozenset[str], persons: set[str]) -> float:
        """The share of ``content`` (stems) this passage says of ``persons``.

        Of a pair, a sentence that names one of them counts, and one that names only
        others never does ("Ruth Shaw welcomed the news. Asked about the contract, Reed
        said ..." says nothing of Shaw's contract). One that names no one counts when
        it follows their sentence and says "he" or "she", or when their own sentence
        says part of the claim ("Reed signed a contract. It runs for four seasons."),
        not when they only share a topic ("Critics asked about the contract. Ruth Shaw,
        the club president, welcomed the news.": a role is not a deed)."""
        if not content:
            return 1.0
        return len(self.says(content, persons)) / len(content)

    def says(self, content: frozenset[str], persons: set[str]) -> frozenset[str]:
        """The stems of ``content`` this passage says of ``persons`` (see ``coverage``)."""
        if not persons or not self.parts:
            return content & self.stems
        first, second = self.parts
        about = [p for p in self.parts if p.persons & persons]
        said = frozenset().union(*(p.predicate for p in about)) & content
        kept = [p.stems for p in about]
        for part, other in ((first, second), (second, first)):
            if part.persons or other not in about:
                continue
            if said or (part is second and part.pronoun):
                kept.append(part.stems)
        return content & frozenset().union(*kept)


PlacedSpan = tuple[Figure, int, int]
"""A figure and where it begins and ends in the article's text."""


def figures_by_sentence(
    figures: list[PlacedSpan], sentences: list[Sentence]
) -> list[list[PlacedSpan]]:
    """The figures of a text grouped by the sentence they begin in."""
    grouped: list[list[PlacedSpan]] = [[] for _ in sentences]
    starts = [s.start for s in sentences]
    for placed in figures:
        at = bisect_right(starts, placed[1]) - 1
        if at >= 0:
            grouped[at].append(placed)
    return grouped


def _passage(
    tokens: list[Token],
    sentence: Sentence,
    placed: list[PlacedSpan],
    dates: list[tuple[int, DateId]],
    people: People,
    roles: list[tuple[int, int]],
    language: str | None,
) -> Passage:
    part = tokens[sentence.first : sentence.last]
    inside = [(a, b) for a, b in roles if sentence.start <= a < sentence.end]
    deed = [t for t in part if not any(a <= t.start < b for a, b in inside)]
    found = [figure for figure, _, _ in placed]
    folded = {t.folded for t in part if t.kind == "word"}
    words = frozenset(folded.union(*(w.split("-") for w in folded if "-" in w)))
    return Passage(
        start=sentence.start,
        end=sentence.end,
        words=words,
        stems=content_stems(part, language),
        values=frozenset(r for f in found for r in f.readings),
        percents=frozenset(r for f in found if f.percent for r in f.readings),
        dates=frozenset(date for _, date in dates),
        persons=people.mentioned(words),
        predicate=content_stems(deed, language),
        pronoun=not words.isdisjoint(_PRONOUNS) or (bool(part) and part[0].folded in _OPENERS),
    )


def _is_quoted(tokens: list[Token], span: NameSpan) -> bool:
    after = tokens[span.end] if span.end < len(tokens) else None
    before = tokens[span.start - 1] if span.start > 0 else None
    return any(t is not None and t.folded in REPORTING_WORDS for t in (after, before))


def _persons(tokens: list[Token], spans: list[NameSpan], holders: set[str]) -> frozenset[str]:
    """The last words (surnames) of the names that stand for people."""
    alone = {s.name.words[0] for s in spans if len(s.name.words) == 1}
    persons = set(holders)
    for span in spans:
        words = span.name.words
        if (len(words) > 1 and words[-1] in alone) or span.titles or _is_quoted(tokens, span):
            persons.add(words[-1])
    return frozenset(persons)


@dataclass(frozen=True)
class ArticleFacts:
    """What was found in an article's tokens once, for every index built from them."""

    sentences: list[Sentence]
    spans: list[NameSpan]  # its names
    figures: list[list[PlacedSpan]]  # by sentence
    dates: list[tuple[int, DateId]]  # token positions


def _dates_by_sentence(
    dates: list[tuple[int, DateId]], sentences: list[Sentence]
) -> list[list[tuple[int, DateId]]]:
    grouped: list[list[tuple[int, DateId]]] = [[] for _ in sentences]
    firsts = [s.first for s in sentences]
    for position, date in dates:
        at = bisect_right(firsts, position) - 1
        if at >= 0:
            grouped[at].append((position, date))
    return grouped


def _setting_dates(sentences: tuple[Passage, ...]) -> frozenset[DateId]:
    """The days and months of the lead that are the only ones of their kind."""
    named = {date for s in sentences for date in s.dates}
    lead = {date for s in sentences[:_LEAD_SENTENCES] for date in s.dates}
    return frozenset(d for d in lead if all(o[0] != d[0] for o in named - {d}))


def _continued(singles: tuple[Passage, ...], openers: list[str]) -> tuple[Passage, ...]:
    """Each sentence that names no one and opens with "He", "She" or "The ..." ("The
    Danish keeper was later sold") speaks of the people the sentence before names."""
    result = list(singles)
    for i in range(1, len(result)):
        single = result[i]
        if not single.persons and openers[i] in _CONTINUING and result[i - 1].persons:
            result[i] = replace(single, persons=result[i - 1].persons)
    return tuple(result)


def _prefix_dates(sentences: tuple[Passage, ...], prefix: int) -> frozenset[DateId]:
    return frozenset(d for s in sentences if s.end <= prefix for d in s.dates)


@dataclass(frozen=True)
class PassageIndex:
    """An article's sentences and passages, its people and its setting."""

    text: str
    sentences: tuple[Passage, ...]
    passages: tuple[Passage, ...]
    persons: frozenset[str]
    setting: frozenset[tuple[str, ...]]
    setting_dates: frozenset[DateId]
    people: People
    dates_of: Mapping[str, frozenset[DateId]]  # key -> the days of the sentences naming them

    @classmethod
    def build(
        cls,
        text: str,
        tokens: list[Token],
        facts: ArticleFacts,
        language: str | None,
        roles: list[tuple[int, int]],
        role_holders: set[str],
        prefix: int = 0,
    ) -> PassageIndex:
        """The index of ``text`` (its ``tokens`` and ``facts``); ``roles`` are where its
        appositions stand (``start, end``), ``role_holders`` the last words of the names
        they give a role to, ``prefix`` where its dateline or byline ends (see
        ``datelines``): their names and days are the setting, whatever else it says."""
        sentences, spans = facts.sentences, facts.spans
        persons = _persons(tokens, spans, role_holders)
        lower = frozenset(t.folded for t in tokens if t.is_word and not t.capitalised)
        people = People.build(tokens, spans, persons, sentences, lower)
        dated = _dates_by_sentence(facts.dates, sentences)
        singles = _continued(
            tuple(
                _passage(tokens, s, p, d, people, roles, language)
                for s, p, d in zip(sentences, facts.figures, dated, strict=True)
            ),
            [tokens[s.first].folded if s.first < s.last else "" for s in sentences],
        )
        dates_of: dict[str, set[DateId]] = {}
        for single in singles:
            for key in single.persons:
                dates_of.setdefault(key, set()).update(single.dates)
        pairs = tuple(a.joined(b) for a, b in zip(singles, singles[1:], strict=False))
        lead = _LEAD_SENTENCES + (1 if prefix else 0)
        lead_end = sentences[min(len(sentences), lead) - 1].last if sentences else 0
        setting = frozenset(
            s.name.words for s in spans if s.start < lead_end and s.name.words[-1] not in persons
        )
        return cls(
            text,
            singles,
            singles + pairs,
            persons,
            setting,
            _setting_dates(singles) | _prefix_dates(singles, prefix),
            people,
            {key: frozenset(days) for key, days in dates_of.items()},
        )

    def quote(self, passage: Passage) -> str:
        """The passage as the article writes it, on one line."""
        return squash_spaces(self.text[passage.start : passage.end])
