"""Names of people, places and bodies: runs of capitalised words, and their support.

A name is a run of capitalised words, joined across "de", "da", "of"... ("Rio de
Janeiro", "Bank of England"), without leading stop words and titles ("The",
"Em", "Mayor") and without weekdays and months (the date check has those). It is
supported when the article holds it as a phrase, or holds a longer name it shortens
("Ana Souza" for "Ana Maria Souza"), or holds it as one word ("Souza" alone after the
full name) -- all compared folded, so case, accents and possessives do not matter.
A capitalised word that starts a sentence and that the article uses in lower case, in
this form or another of its inflections ("Officials said", "Plans to ..." for an
article that writes "plan"), or that qualifies a role ("Former"), is an ordinary word,
not a name. Number words ("Three men ...") are the figure check's.

An acronym and its expansion stand for each other: "European Central Bank" is supported
by an article that writes "ECB", and "ONS" by one that writes "Office for National
Statistics". A name the summary itself defines by an acronym the article supports
("the Office for National Statistics (ONS)") is supported too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum

from newsum.modeling.faithfulness.dates import NOT_NAMES
from newsum.modeling.faithfulness.numbers import NUMBER_WORDS
from newsum.modeling.faithfulness.stems import stem
from newsum.modeling.faithfulness.text import (
    ALL_STOP_WORDS,
    ALL_TITLE_WORDS,
    ROLE_MODIFIERS,
    Token,
)

_CONNECTORS = frozenset({"de", "da", "do", "das", "dos", "of", "the", "del", "di", "von", "van"})
_ACRONYM_JOINERS = _CONNECTORS | {"and", "e", "for", "&"}  # skipped in an acronym's letters
_NOT_NAMES = NOT_NAMES | NUMBER_WORDS
_BREAK = "|"  # stands for punctuation in an article's phrase text, so phrases never cross it


class NameSupport(Enum):
    """How the article stands to a capitalised run of the summary."""

    SUPPORTED = "supported"
    UNSUPPORTED = "unsupported"
    ORDINARY_WORD = "ordinary_word"  # a sentence-initial word the article uses in lower case


@dataclass(frozen=True)
class Name:
    """A name as written in a summary, and its folded words."""

    text: str
    words: tuple[str, ...]
    sentence_initial: bool


def _is_name_word(token: Token) -> bool:
    if not token.capitalised or len(token.folded) <= 1:
        return False
    return token.raw.lower().removesuffix("'s").removesuffix("’s") not in _NOT_NAMES


def _runs(tokens: list[Token]) -> Iterator[tuple[int, list[Token]]]:
    """Runs of capitalised words (with the index of their first token), joined across
    lower-case connectors, ended by a possessive."""
    run: list[Token] = []
    pending: list[Token] = []
    start = 0
    for i, token in enumerate(tokens):
        if _is_name_word(token):
            if not run:
                start = i
            run.extend(pending)
            run.append(token)
            pending = []
            if token.raw.endswith(("'s", "’s")):  # a possessive ends it: "Elton's Mayor Okafor"
                yield start, run
                run = []
        elif run and token.is_word and token.raw in _CONNECTORS:
            pending.append(token)
        else:
            if run:
                yield start, run
            run, pending = [], []
    if run:
        yield start, run


@dataclass(frozen=True)
class NameSpan:
    """A name and where it stands: ``tokens[start:end]``, titles before it excluded
    (they are in ``titles``, folded: "Mayor Okafor" has the title "mayor")."""

    name: Name
    start: int
    end: int
    titles: tuple[str, ...] = ()


def name_spans(tokens: list[Token]) -> list[NameSpan]:
    """The names in ``tokens`` with their token positions, leading stop words and
    titles removed."""
    found = []
    for first, run in _runs(tokens):
        start = 0
        while start < len(run) and run[start].folded in ALL_STOP_WORDS:
            start += 1
        kept = run[start:]
        if kept:
            text = " ".join(t.raw for t in kept).removesuffix("'s").removesuffix("’s")
            words = tuple(part for t in kept for part in t.folded.split("-"))
            name = Name(text, words, kept[0].sentence_initial)
            titles = tuple(t.folded for t in run[:start] if t.folded in ALL_TITLE_WORDS)
            found.append(NameSpan(name, first + start, first + len(run), titles))
    return found


def names(tokens: list[Token]) -> list[Name]:
    """The names in ``tokens``, leading stop words and titles removed."""
    return [span.name for span in name_spans(tokens)]


@dataclass(frozen=True)
class NameIndex:
    """What the article offers to support names."""

    words: frozenset[str]
    lower_words: frozenset[str]  # words the article writes in lower case at least once
    phrase_text: str
    names: frozenset[tuple[str, ...]]
    lower_stems: frozenset[str] = frozenset()  # the stems of those words
    acronyms: frozenset[str] = frozenset()  # folded: those it writes ("ECB") or spells out
    language: str | None = None
    expansions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # "pm": prime minister

    @classmethod
    def build(
        cls, tokens: list[Token], spans: list[NameSpan] | None = None, language: str | None = None
    ) -> NameIndex:
        """The index of ``tokens`` (in ``language``, for stems); ``spans`` are their
        names, when already found."""
        words = [t for t in tokens if t.is_word]
        phrase = " ".join(t.folded if t.kind in ("word", "number") else _BREAK for t in tokens)
        lower = frozenset(t.folded for t in words if not t.capitalised)
        spelled = spelled_acronyms(tokens)
        return cls(  # hyphens count as spaces: "São Paulo" is in "São Paulo-based"
            words=frozenset(part for t in words for part in t.folded.split("-")),
            lower_words=lower,
            phrase_text=f" {phrase.replace('-', ' ')} ",
            names=frozenset(s.name.words for s in (spans or name_spans(tokens))),
            lower_stems=frozenset(stem(w, language) for w in lower),
            acronyms=_written_acronyms(tokens) | frozenset(spelled),
            expansions=spelled,
            language=language,
        )

    def _holds(self, words: tuple[str, ...]) -> bool:
        if len(words) == 1:
            return words[0] in self.words
        if f" {' '.join(words)} " in self.phrase_text:
            return True
        return any(_is_subsequence(words, name) for name in self.names if len(name) > len(words))

    def _ordinary(self, word: str) -> bool:
        """A word the article writes in lower case (in some inflection), or a modifier."""
        return (
            word in self.lower_words
            or word in ROLE_MODIFIERS
            or stem(word, self.language) in self.lower_stems
        )

    def judge(self, name: Name) -> NameSupport:
        """Whether the article supports ``name``.

        A leading ordinary word may be dropped ("Mayor Ana Souza", "Former minister
        Ana Souza"), a run joined by a connector may be supported part by part ("Ana
        Souza of Vila Nova"), and an acronym by its expansion and back.
        """
        words = name.words
        if name.sentence_initial and self._ordinary(words[0]):
            if len(words) == 1:
                return NameSupport.ORDINARY_WORD
            if self._supported(words[1:], name.text):
                return NameSupport.SUPPORTED
        if self._supported(words, name.text):
            return NameSupport.SUPPORTED
        return NameSupport.UNSUPPORTED

    def written_as(self, words: tuple[str, ...], text: str) -> tuple[str, ...]:
        """How the article writes a name the summary writes as ``words``: the same words,
        the acronym of an expansion ("imf"), or the expansion of an acronym."""
        if self.holds(words) or not self.stands_for(words, text):
            return words
        if len(words) == 1:
            return self.expansions.get(words[0], words)
        return (initials(words),)

    def holds(self, words: tuple[str, ...]) -> bool:
        """Whether the article writes ``words`` as they are, or their parts."""
        parts = _split_at_connectors(words)
        return self._supports(words) or (len(parts) > 1 and all(map(self._supports, parts)))

    def _supported(self, words: tuple[str, ...], text: str) -> bool:
        parts = _split_at_connectors(words)
        if self._supports(words) or (len(parts) > 1 and all(map(self._supports, parts))):
            return True
        return self.stands_for(words, text)

    def stands_for(self, words: tuple[str, ...], text: str) -> bool:
        """Whether ``words`` (``text`` as written) are an acronym the article spells out
        ("PM" for "Prime Minister") or spell out one it writes ("European Central Bank"
        for "ECB")."""
        if len(words) == 1:
            return text.isupper() and len(text) > 1 and words[0] in self.acronyms
        letters = initials(words)
        return len(letters) > 1 and letters in self.acronyms

    def _supports(self, words: tuple[str, ...]) -> bool:
        while words:
            if self._holds(words):
                return True
            if words[0] not in self.lower_words:
                return False
            words = words[1:]
        return False


def defined_by_acronym(tokens: list[Token], index: NameIndex) -> set[int]:
    """Positions of the words a text spells out before an acronym in brackets that the
    article supports ("the Office for National Statistics (ONS)"): the text defines them
    by it, so they stand or fall with it."""
    found: set[int] = set()
    for i, token in enumerate(tokens):
        if not (token.raw == "(" and i + 2 < len(tokens) and tokens[i + 2].raw == ")"):
            continue
        acronym = tokens[i + 1]
        if not (acronym.is_word and acronym.raw.isupper() and len(acronym.raw) > 1):
            continue
        if not (acronym.folded in index.words or acronym.folded in index.acronyms):
            continue
        start = i
        while start > 0 and tokens[start - 1].is_word and (
            tokens[start - 1].capitalised or tokens[start - 1].folded in _ACRONYM_JOINERS
        ):
            start -= 1
        words = tuple(t.folded for t in tokens[start:i])
        while words and initials(words) != acronym.folded and len(words) > 1:
            words, start = words[1:], start + 1  # "Lowmoor's Office for ...": from "Office"
        if words and initials(words) == acronym.folded:
            found.update(range(start, i))
    return found


def initials(words: tuple[str, ...]) -> str:
    """The letters an acronym of ``words`` (folded) would have: "ofthe" words skipped."""
    return "".join(w[0] for w in words if w not in _ACRONYM_JOINERS)


def _written_acronyms(tokens: list[Token]) -> frozenset[str]:
    return frozenset(t.folded for t in tokens if t.is_word and len(t.raw) > 1 and t.raw.isupper())


def spelled_acronyms(tokens: list[Token]) -> dict[str, tuple[str, ...]]:
    """The initials of every run of two or more capitalised words, joined across "of",
    "and"... ("Office for National Statistics": "ons"), with the words they stand for;
    a leading "The" is no part of it."""
    found: dict[str, tuple[str, ...]] = {}
    run: list[str] = []
    for token in (*tokens, None):
        if token is not None and token.is_word and token.capitalised:
            if run or token.folded not in ALL_STOP_WORDS:
                run.append(token.folded)
            continue
        if token is not None and token.is_word and token.folded in _ACRONYM_JOINERS and run:
            run.append(token.folded)
            continue
        while run and run[-1] in _ACRONYM_JOINERS:
            run.pop()
        letters = initials(tuple(run))
        if len(letters) > 1:
            found.setdefault(letters, tuple(run))
        run = []
    return found


def _split_at_connectors(words: tuple[str, ...]) -> list[tuple[str, ...]]:
    parts: list[tuple[str, ...]] = [()]
    for word in words:
        if word in _CONNECTORS:
            parts.append(())
        else:
            parts[-1] += (word,)
    return [p for p in parts if p]


def _is_subsequence(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    remaining = iter(long)
    return all(word in remaining for word in short)
