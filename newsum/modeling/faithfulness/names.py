"""Names of people, places and bodies: runs of capitalised words, and their support.

A name is a run of capitalised words, joined across "de", "da", "of"... ("Rio de
Janeiro", "Bank of England"), without leading stop words and titles ("The",
"Em", "Mayor") and without weekdays and months (the date check has those). It is
supported when the article holds it as a phrase, or holds a longer name it shortens
("Ana Souza" for "Ana Maria Souza"), or holds it as one word ("Souza" alone after the
full name) -- all compared folded, so case, accents and possessives do not matter.
A capitalised word that starts a sentence and that the article uses in lower case
("Officials said") is an ordinary word, not a name.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

from newsum.modeling.faithfulness.dates import NOT_NAMES
from newsum.modeling.faithfulness.text import ALL_STOP_WORDS, ALL_TITLE_WORDS, Token

_CONNECTORS = frozenset({"de", "da", "do", "das", "dos", "of", "the", "del", "di", "von", "van"})
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
    return token.capitalised and len(token.folded) > 1 and token.raw.lower() not in NOT_NAMES


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

    @classmethod
    def build(cls, tokens: list[Token], spans: list[NameSpan] | None = None) -> NameIndex:
        """The index of ``tokens``; ``spans`` are their names, when already found."""
        words = [t for t in tokens if t.is_word]
        phrase = " ".join(t.folded if t.kind in ("word", "number") else _BREAK for t in tokens)
        return cls(  # hyphens count as spaces: "São Paulo" is in "São Paulo-based"
            words=frozenset(part for t in words for part in t.folded.split("-")),
            lower_words=frozenset(t.folded for t in words if not t.capitalised),
            phrase_text=f" {phrase.replace('-', ' ')} ",
            names=frozenset(s.name.words for s in (spans or name_spans(tokens))),
        )

    def _holds(self, words: tuple[str, ...]) -> bool:
        if len(words) == 1:
            return words[0] in self.words
        if f" {' '.join(words)} " in self.phrase_text:
            return True
        return any(_is_subsequence(words, name) for name in self.names if len(name) > len(words))

    def judge(self, name: Name) -> NameSupport:
        """Whether the article supports ``name``.

        A leading ordinary word may be dropped ("Mayor Ana Souza"), and a run joined
        by a connector may be supported part by part ("Ana Souza of Vila Nova").
        """
        words = name.words
        if len(words) == 1 and name.sentence_initial and words[0] in self.lower_words:
            return NameSupport.ORDINARY_WORD
        parts = _split_at_connectors(words)
        if self._supports(words) or (len(parts) > 1 and all(map(self._supports, parts))):
            return NameSupport.SUPPORTED
        return NameSupport.UNSUPPORTED

    def _supports(self, words: tuple[str, ...]) -> bool:
        while words:
            if self._holds(words):
                return True
            if words[0] not in self.lower_words:
                return False
            words = words[1:]
        return False


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
