"""A claim's anchors: the names, places, figures, days and described people of one
summary sentence that the article holds somewhere, and which of them a passage holds.

The word-level checks judge whether the article has each fact at all; here the facts
it has are looked for together (see ``relations``). A name of the article's setting
(see ``passages``) and an age of the sentence's own people (see ``references``) are no
anchors: the whole article is about the one, the person carries the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsum.modeling.faithfulness.dates import DateId, date_mentions
from newsum.modeling.faithfulness.names import NameIndex, NameSpan, NameSupport
from newsum.modeling.faithfulness.numbers import Figure, FigureIndex, figure_spans
from newsum.modeling.faithfulness.passages import Passage
from newsum.modeling.faithfulness.references import Facets, Referent
from newsum.modeling.faithfulness.text import Token, word_set

if TYPE_CHECKING:
    from newsum.modeling.faithfulness.relations import RelationIndex

_POSSESSIVE = ("'s", "’s")
_PLACE_WORDS = word_set("at in near em no na nos nas")
"""Before a name, they say where ("at Eastfield Park", "in Lowmoor", "no Maracanã")."""
_CONNECTORS = frozenset({"de", "da", "do", "das", "dos", "of", "the", "del", "di", "von", "van"})


@dataclass(frozen=True)
class Anchors:
    """What one summary sentence states that a passage must hold with it."""

    names: list[tuple[str, ...]]
    figures: list[Figure]
    dates: list[DateId]
    subjects: set[str]  # the keys (surnames) of the people the claim is about
    referents: list[Referent]  # people it describes without naming ("the 30-year-old")
    places: list[tuple[str, ...]]  # where it happened: "at Eastfield Park", "in Lowmoor"

    def count(self) -> int:
        """How many anchors there are."""
        named = len(self.names) + len(self.places) + len(self.referents)
        return named + len(self.figures) + len(self.dates)


def count_held(anchors: Anchors, passage: Passage, index: RelationIndex) -> int:
    """How many anchors ``passage`` holds. A person is held by any name the article
    gives them; a day or a place also by another sentence that names the person the
    claim is about ("Reed turned 25 on Saturday": "Reed celebrated on Saturday ... as
    the goalkeeper turned 25"): when and where are said of a person's day once."""
    people = index.passages.people
    count = 0
    for words in anchors.names:
        key = people.key(words)
        count += key in passage.persons if key else passage.words.issuperset(words)
    for words in anchors.places:
        count += passage.words.issuperset(words) or any(
            index.said_of(k).issuperset(words) for k in anchors.subjects
        )
    count += sum(
        not f.readings.isdisjoint(passage.percents if f.percent else passage.values)
        for f in anchors.figures
    )
    dates_of = index.passages.dates_of
    count += sum(
        d in passage.dates or any(d in dates_of.get(k, ()) for k in anchors.subjects)
        for d in anchors.dates
    )
    return count + sum(_refers(r, passage) for r in anchors.referents)


def _refers(referent: Referent, passage: Passage) -> bool:
    if referent.key in passage.persons:
        return True
    if referent.age is not None:
        return referent.age in passage.values
    return bool(referent.words) and referent.words <= passage.words


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


def sentence_anchors(
    text: str,
    part: list[Token],
    spans: list[NameSpan],
    names: NameIndex,
    article: FigureIndex,
    dates: frozenset[DateId],
    index: RelationIndex,
    facets: Facets,
) -> Anchors:
    """The facts of one sentence (``text``, its tokens ``part``) that the article holds
    somewhere (the rest are the word-level checks' findings), less the setting's names
    and dates, and less the ages of its people (``facets``: see ``references``)."""
    kept: list[tuple[str, ...]] = []
    places: list[tuple[str, ...]] = []
    subjects = set()
    people = index.passages.people
    described = facets.referent.positions if facets.referent else frozenset()
    for span in spans:
        if names.judge(span.name) is not NameSupport.SUPPORTED or span.start in described:
            continue
        place = span.start > 0 and part[span.start - 1].folded in _PLACE_WORDS
        words = names.written_as(span.name.words, span.name.text)  # "ECB" for its expansion
        for part_words in _parts(words):  # "Ana Souza of Vila Nova": two names
            if not _in_setting(part_words, index):
                (places if place else kept).append(part_words)
        key = people.key(span.name.words)
        if key and not part[span.end - 1].raw.endswith(_POSSESSIVE):
            subjects.add(key)  # "Okafor's council backed ...": the claim is the council's
    offset = part[0].start if part else 0
    ages = {part[i].start - offset for i in facets.ages}
    referents = [facets.referent] if facets.referent else []
    if facets.referent:
        subjects.add(facets.referent.key)
        ages |= {part[i].start - offset for i in facets.referent.positions}
    found = [
        f
        for f, start, _ in figure_spans(text)
        if not f.article_like and article.supports(f) and start not in ages
    ]
    setting_dates = index.passages.setting_dates
    days = [d for _, d in date_mentions(part) if d in dates and d not in setting_dates]
    return Anchors(kept, found, days, subjects, referents, places)
