"""Fact records: what an article states, written down by whoever wrote the article.

A synthetic article is written from a record (who did what, with which role, where, on
which day, with which figure, and who else appears with which role); a newsroom may
annotate some of its own articles the same way. The record travels with its pair
(``facts`` in the articles file and in the prepared splits; optional, since real data
has none), so that the evaluation can tell a true summary from a false one by the
record, never by the faithfulness check it is measuring (see :mod:`newsum.trainer.truth`).

The schema is generic: names, roles and phrases as the article writes them, and the
figure with the article's sentence that states it (what it counts). :class:`Lexicon`
gathers, per language, the words of a corpus and the roles, events, places and names
its records hold, which is how the judge knows a role or an event it meets in a summary.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*|\d+(?:[.,]\d+)*")


def fold(text: str) -> str:
    """Lower case without accents: "Júlia" and "julia" are the same word to the judge."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """The words and numbers of ``text`` as written; hyphenated words stay whole."""
    return _WORD.findall(text)


def folded_words(text: str) -> list[str]:
    """:func:`words` folded, a possessive ("Riverton's") cut back to its word."""
    return [_unpossessive(fold(w)) for w in words(text)]


def _unpossessive(word: str) -> str:
    return word[:-2] if word.endswith("'s") and len(word) > 2 else word


def language_key(code: str | None) -> str:
    """"pt-BR" -> "pt", "EN" -> "en"; "" when unknown (one lexicon for unlabelled text)."""
    return (code or "").strip().replace("_", "-").split("-")[0].lower()


@dataclass(frozen=True)
class PersonFact:
    """A person as the article names them, and the role the article gives them."""

    name: str
    role: str


@dataclass(frozen=True)
class FigureFact:
    """The figure, and the article's sentence stating it (which says what it counts)."""

    value: float
    sentence: str


@dataclass(frozen=True)
class FactRecord:
    """What one article states: the actor and their role, the event, place, day, figures
    (each with what it counts), and the other people with their roles."""

    person: PersonFact
    event: str
    place: str | None = None
    weekday: str | None = None  # as the article writes it: "on Monday", "nesta terça-feira"
    figures: tuple[FigureFact, ...] = ()
    others: tuple[PersonFact, ...] = ()

    @property
    def people(self) -> tuple[PersonFact, ...]:
        """The actor first, then the others."""
        return (self.person, *self.others)

    def as_dict(self) -> dict[str, Any]:
        """The record as JSON-ready data (the ``facts`` field of a pair)."""
        return {
            "person": {"name": self.person.name, "role": self.person.role},
            "event": self.event,
            "place": self.place,
            "weekday": self.weekday,
            "figures": [{"value": f.value, "sentence": f.sentence} for f in self.figures],
            "others": [{"name": p.name, "role": p.role} for p in self.others],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FactRecord:
        """The inverse of :meth:`as_dict`; raises ValueError for a malformed record."""
        try:
            return cls(
                person=_person(data["person"]),
                event=_text(data["event"], "event"),
                place=_optional_text(data.get("place")),
                weekday=_optional_text(data.get("weekday")),
                figures=tuple(
                    FigureFact(value=float(f["value"]), sentence=_text(f["sentence"], "sentence"))
                    for f in data.get("figures") or ()
                ),
                others=tuple(_person(p) for p in data.get("others") or ()),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a fact record ({exc}): {data!r}") from exc


def _person(data: Mapping[str, Any]) -> PersonFact:
    return PersonFact(name=_text(data["name"], "name"), role=_text(data["role"], "role"))


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    return value.strip()


def _optional_text(value: Any) -> str | None:
    return None if value in (None, "") else _text(value, "field")


@dataclass
class Lexicon:
    """Per language: a corpus's words, and the roles, events, places and person names of
    its records (folded word tuples), so that the judge recognises them in a summary."""

    words: dict[str, set[str]] = field(default_factory=dict)
    roles: dict[str, set[tuple[str, ...]]] = field(default_factory=dict)
    events: dict[str, set[tuple[str, ...]]] = field(default_factory=dict)
    places: dict[str, set[tuple[str, ...]]] = field(default_factory=dict)
    names: dict[str, set[str]] = field(default_factory=dict)  # single name words, as written

    def add_text(self, language: str | None, text: str) -> None:
        """Count the words of ``text`` as words of ``language``."""
        self.words.setdefault(language_key(language), set()).update(
            w for w in folded_words(text) if not w[:1].isdigit()
        )

    def add_record(self, language: str | None, record: FactRecord) -> None:
        """Learn the roles, event, place and names ``record`` holds."""
        key = language_key(language)
        self.roles.setdefault(key, set()).update(
            tuple(folded_words(p.role)) for p in record.people
        )
        self.events.setdefault(key, set()).add(tuple(folded_words(record.event)))
        if record.place:
            self.places.setdefault(key, set()).add(tuple(folded_words(record.place)))
        self.names.setdefault(key, set()).update(
            w for p in record.people for w in words(p.name)
        )

    @classmethod
    def build(cls, items: Iterable[tuple[str | None, Iterable[str], FactRecord | None]]) -> Lexicon:
        """A lexicon of ``(language, texts, record)`` items (a corpus's pairs)."""
        lexicon = cls()
        for language, texts, record in items:
            for text in texts:
                lexicon.add_text(language, text)
            if record is not None:
                lexicon.add_record(language, record)
        return lexicon
