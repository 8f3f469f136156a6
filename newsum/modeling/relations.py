"""What an article joins to each person: the role, what they did, the day and the figure.

A summary built of an article's words can still be false: "the league director Ruth
Shaw signed" when Sarah Reed, the league director, signed and Ruth Shaw, the team
captain, welcomed it. :class:`ArticleRelations` reads from the article's own text, in
English and Portuguese news style, what it says of each person:

- their role, as an apposition after the name ("Sarah Reed, the league director,",
  "Caio Barros, chefe da agência espacial,", "Júlia Teixeira (presidente do partido)")
  or before it ("the trade minister Peter Walker", "Riverton's mayor, Anna Walker");
- their predicates: the first word of what the article says they did ("signed",
  "welcomed"), read past the apposition;
- the days and figures of the sentences that name them, and of their neighbours.

:mod:`newsum.modeling.continuations` turns this into what a summary may write next
after it names a person or a role: the decoding constraint
(:mod:`newsum.modeling.constraints`) then lets a role, a predicate, a day and a figure
stand only beside the name the article joins them to. Only people with a role are bound;
a place or a bare name is left to the word constraint and the check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from newsum.modeling.faithfulness.dates import DATE_WORDS
from newsum.modeling.faithfulness.text import ALL_STOP_WORDS, fold_word

_TOKEN = re.compile(r"\w+(?:-\w+)*|[^\w\s]")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_DETERMINERS = frozenset({"the", "a", "an", "o", "os", "as"})
_PREPOSITIONS = frozenset({"of", "for", "at", "de", "do", "da", "dos", "das"})
# A role never ends in a function word ("the new stadium in Millbrook" is no role).
_FUNCTION_WORDS = _PREPOSITIONS | frozenset(
    ["in", "on", "to", "from", "by", "with", "across", "over", "near", "and", "or", "em", "no",
     "na", "nos", "nas", "por", "pelo", "pela", "para", "com", "e"]
)
# Words that open a clause, not a role: "Ana Souza, who ...", "Ana Souza, que ...".
_NOT_ROLES = frozenset(
    ["who", "which", "that", "whose", "said", "says", "told", "que", "quem", "onde", "cujo",
     "disse", "afirmou", "declarou"]
)
MAX_ROLE_WORDS = 8


@dataclass
class Person:
    """What the article says of one person (keyed by the full name as it writes it)."""

    name: str
    roles: set[str] = field(default_factory=set)
    predicates: set[str] = field(default_factory=set)
    days: set[str] = field(default_factory=set)  # date words of their sentences
    figures: set[str] = field(default_factory=set)  # digit strings of their sentences
    sentences: set[int] = field(default_factory=set)


def _is_name(word: str, lower: set[str]) -> bool:
    return (
        word[:1].isupper() and word.lower() not in lower
        and fold_word(word) not in ALL_STOP_WORDS and word.lower() not in DATE_WORDS
    )


def _lowercase(token: str) -> bool:
    return token[:1].isalpha() and token.islower()


class ArticleRelations:
    """The people of one article with what it joins to each (see the module docstring)."""

    def __init__(self, text: str) -> None:
        self.people: dict[str, Person] = {}
        self.owner: dict[str, str] = {}  # a name word or a role -> the person's name
        self._roles: frozenset[str] | None = None
        # What may follow a name or a role, kept by :mod:`newsum.modeling.continuations`.
        self.continuations: dict[object, list[str]] = {}
        self.barred_after: dict[str, frozenset[str]] = {}  # by the lower-case run
        self.role_holders: dict[str, list[str]] = {}  # the names of each role's holders
        # Sentences with their paragraph: a neighbour in another paragraph is not near.
        placed = [
            (number, sentence)
            for number, paragraph in enumerate(re.split(r"\n\s*\n", text))
            for sentence in _SENTENCE.split(paragraph) if sentence.strip()
        ]
        paragraph_of = [number for number, _ in placed]
        tokens = [_TOKEN.findall(sentence) for _, sentence in placed]
        lower = {w for sentence in tokens for w in sentence if w.islower()}
        mentions = [
            (index, start, end)
            for index, sentence in enumerate(tokens)
            for start, end in _name_runs(sentence, lower)
        ]
        for index, start, end in mentions:
            role = _role_after(tokens[index], end) or _role_before(tokens[index], start)
            if role:
                self._person(" ".join(tokens[index][start:end])).roles.add(role)
        self._index_names()
        for index, start, end in mentions:
            person = self.person_of(" ".join(tokens[index][start:end]))
            if person is None:
                continue
            person.sentences.add(index)
            predicate = _predicate(tokens[index], end, person.roles)
            if predicate:
                person.predicates.add(predicate)
        for person in self.people.values():
            near = {
                j for i in person.sentences for j in (i - 1, i, i + 1)
                if 0 <= j < len(tokens) and paragraph_of[j] == paragraph_of[i]
            }
            for i in near:
                person.days.update(
                    part for w in tokens[i] for part in w.lower().split("-") if part in DATE_WORDS
                )
                person.figures.update(w for w in tokens[i] if w.isdigit())

    @property
    def roles(self) -> frozenset[str]:
        """Every role the article gives anyone."""
        if self._roles is None:
            self._roles = frozenset(r for p in self.people.values() for r in p.roles)
        return self._roles

    def _person(self, name: str) -> Person:
        for known in self.people.values():  # "Reed" and "Sarah Reed" are one person
            if known.name.split()[-1] == name.split()[-1]:
                if len(name) > len(known.name):
                    self.people[name] = self.people.pop(known.name)
                    known.name = name
                return known
        return self.people.setdefault(name, Person(name))

    def _index_names(self) -> None:
        counts: dict[str, int] = {}
        for person in self.people.values():
            for word in {person.name.split()[0], person.name.split()[-1]}:
                counts[word] = counts.get(word, 0) + 1
        for person in self.people.values():
            for word in {person.name.split()[0], person.name.split()[-1]}:
                if counts[word] == 1:
                    self.owner[word] = person.name

    def person_of(self, name: str) -> Person | None:
        """The person a written name ("Sarah Reed", "Reed", "Sarah") is, if one only."""
        words = name.split()
        for word in (words[-1], words[0]):
            if word in self.owner:
                person = self.people[self.owner[word]]
                if all(w in person.name.split() for w in words):
                    return person
        return None

    def holders(self, role: str) -> list[Person]:
        """The people the article gives ``role``."""
        return [p for p in self.people.values() if role in p.roles]


def _name_runs(tokens: list[str], lower: set[str]) -> list[tuple[int, int]]:
    runs, i = [], 0
    while i < len(tokens):
        if _is_name(tokens[i], lower):
            start = i
            while i < len(tokens) and _is_name(tokens[i], lower):
                i += 1
            runs.append((start, i))
        else:
            i += 1
    return runs


def _phrase(tokens: list[str]) -> str | None:
    """``tokens`` as a role: a few lower-case words, not a clause, not ending in "of"."""
    if not tokens or len(tokens) > MAX_ROLE_WORDS or not all(_lowercase(t) for t in tokens):
        return None
    if tokens[0] in _NOT_ROLES or tokens[-1] in _FUNCTION_WORDS | _DETERMINERS:
        return None
    if any(part in DATE_WORDS for t in tokens for part in t.split("-")):
        return None  # "Em Pedra Branca, nesta quarta-feira, ..."
    return " ".join(tokens)


def _role_after(tokens: list[str], end: int) -> str | None:
    """"NAME, the ROLE," / "NAME, ROLE," / "NAME (ROLE)"."""
    if end >= len(tokens) or tokens[end] not in {",", "("}:
        return None
    closer = ")" if tokens[end] == "(" else ","
    start = end + 1
    determiner = start < len(tokens) and tokens[start].lower() in _DETERMINERS - {"a", "o"}
    start += determiner
    stop = start
    while stop < len(tokens) and tokens[stop] not in {",", ")", ".", ";", ":"}:
        stop += 1
    if stop >= len(tokens) or (tokens[stop] != closer and not (determiner and tokens[stop] == ".")):
        return None
    return _phrase(tokens[start:stop])


def _role_before(tokens: list[str], start: int) -> str | None:
    """"the ROLE NAME" / "CITY's ROLE, NAME"."""
    stop = start - 1 if start > 0 and tokens[start - 1] == "," else start
    i = stop
    while i > 0 and _lowercase(tokens[i - 1]) and not _possessive(tokens, i - 1):
        i -= 1
        if tokens[i] in _DETERMINERS and not (i > 0 and tokens[i - 1] in _PREPOSITIONS):
            return _phrase(tokens[i + 1 : stop]) if stop == start else None
    if i >= 1 and _possessive(tokens, i - 1):
        return _phrase(tokens[i:stop])
    if i > 0 and tokens[i - 1] == "The" and stop == start:
        return _phrase(tokens[i:stop])
    return None


def _possessive(tokens: list[str], i: int) -> bool:
    """Whether ``tokens[i]`` is the "s" of "Riverton's"."""
    return tokens[i] == "s" and i > 0 and tokens[i - 1] in {"'", "’"}


def _predicate(tokens: list[str], end: int, roles: set[str]) -> str | None:
    """The first word of what the sentence says the person at ``tokens[:end]`` did."""
    i = end
    for opener, closer in ((",", ","), ("(", ")")):
        if i < len(tokens) and tokens[i] == opener:
            j = i + 1
            while j < len(tokens) and tokens[j] != closer:
                j += 1
            inner = tokens[i + 1 : j]
            if inner and inner[0].lower() in _DETERMINERS:
                inner = inner[1:]
            if " ".join(inner) in roles and j < len(tokens):
                i = j + 1
                break
    if i < len(tokens) and tokens[i] == ",":
        i += 1
    return tokens[i] if i < len(tokens) and _lowercase(tokens[i]) else None
