"""Who a summary sentence speaks of when it does not repeat the name.

Summaries name a person once and then describe them: "The 30-year-old said ...",
"The Danish goalkeeper was cheered ...", "The former club boss described ...". Such a
sentence is about a person the summary named before, and the relation check must find
what it says of *that* person. The description is resolved to the most recent person
the summary named whom the article describes so: an age the article gives them (see
``people``), or words the article says in sentences that name them. A description the
article gives no one named before is left as it is, its words compared like any
other (and "the 30-year-old" then stays a figure the passage must hold).

An age written against a name ("Barry Reed, 51,") is the person's, not the claim's:
when the article gives the person that age it is no anchor of the claim.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from newsum.modeling.faithfulness.names import NameSpan
from newsum.modeling.faithfulness.people import People, attached_ages, year_old_at
from newsum.modeling.faithfulness.stems import NOT_CONTENT, token_stems
from newsum.modeling.faithfulness.text import ROLE_MODIFIERS, Token

_MAX_DESCRIPTION = 5
_PAST_ENDINGS = ("ed",)


@dataclass(frozen=True)
class Referent:
    """A person a sentence describes without naming them."""

    key: str
    words: frozenset[str]  # the description's folded words ("polish", "goalkeeper")
    age: Decimal | None  # "the 30-year-old": the age, which a passage may hold instead
    positions: frozenset[int]  # the description's tokens in the sentence (not content)


def person_ages(part: list[Token], spans: list[NameSpan], people: People) -> set[int]:
    """Positions (in ``part``) of the ages written against names there that the article
    gives the same persons."""
    found = set()
    for span in spans:
        key = people.key(span.name.words)
        if key is None:
            continue
        for at, value in attached_ages(part, span):
            if value in people.ages.get(key, ()):
                found.add(at)
    return found


def _describes(token: Token) -> bool:
    if not token.is_word:
        return False
    if token.capitalised:
        return True
    folded = token.folded
    return folded in ROLE_MODIFIERS or (
        folded not in NOT_CONTENT and not folded.endswith(_PAST_ENDINGS) and len(folded) > 1
    )


def _description(part: list[Token]) -> tuple[int, Decimal | None] | None:
    """How many tokens open the sentence as "The <description>", and the age it gives."""
    if len(part) < 3 or part[0].folded != "the":
        return None
    if part[1].kind == "number" and (length := year_old_at(part, 1)):
        return 1 + length, Decimal(part[1].raw) if part[1].raw.isdigit() else None
    end = 1
    while end < len(part) and end <= _MAX_DESCRIPTION and _describes(part[end]):
        end += 1
    if end == 1 or end >= len(part) or end > _MAX_DESCRIPTION:
        return None
    last = part[end - 1].folded
    if last.endswith("s") and not last.endswith("ss") and not part[end - 1].capitalised:
        return None  # "The twins", "The band's fans": a group, not one person
    return end, None


def describe(
    part: list[Token],
    people: People,
    named_before: list[str],
    said_of: Callable[[str], frozenset[str]],
    language: str | None,
) -> Referent | None:
    """The person the description opening ``part`` stands for, among ``named_before``
    (the summary's persons so far, most recent first); ``said_of(key)`` gives the stems
    and words of the article's sentences that name that person."""
    found = _description(part)
    if found is None:
        return None
    length, age = found
    positions = frozenset(range(length))
    if age is not None:
        key = next((k for k in named_before if age in people.ages.get(k, ())), None)
        holders = people.of_age(age)
        if key is None and len(holders) == 1:
            key = holders[0]
        return Referent(key, frozenset(), age, positions) if key is not None else None
    words = [t for t in part[1:length] if t.folded not in ROLE_MODIFIERS]
    if not words:
        return None
    needed = {s for t in words if not t.capitalised for s in token_stems(t, language)}
    needed |= {t.folded for t in words if t.capitalised}
    for key in named_before:
        if needed <= said_of(key):
            return Referent(key, frozenset(t.folded for t in words), None, positions)
    return None


@dataclass(frozen=True)
class Facets:
    """What a sentence says of its people rather than of what they did: the ages
    written against their names, and the description that stands for one of them."""

    ages: set[int]
    referent: Referent | None

    def positions(self) -> set[int]:
        """The positions of those words in the sentence: no content of the claim."""
        return self.ages | (set(self.referent.positions) if self.referent else set())


def sentence_facets(
    part: list[Token],
    spans: list[NameSpan],
    named: list[str],
    people: People,
    said_of: Callable[[str], frozenset[str]],
    language: str | None,
) -> Facets:
    """The facets of one summary sentence (``part``, names at ``spans``), its
    description resolved among ``named`` (see ``describe``) less its own persons."""
    own = {people.key(s.name.words) for s in spans}
    candidates = [k for k in named if k not in own]
    referent = describe(part, people, candidates, said_of, language)
    return Facets(person_ages(part, spans, people), referent)
