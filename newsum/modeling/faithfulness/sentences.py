"""Sentences, found in a text's tokens: where a summary's claims and an article's
passages begin and end.

A sentence ends at ". ! ? …" or a line break, with closing quotes and brackets kept
on it. A full stop after an abbreviation ("Mr.", "Dr.", "U.S.", "p.m.") or followed by a
word in lower case ("approx. five") ends nothing; the relation check compares one
summary sentence with a window of article sentences, so a rare wrong split costs
little, while a missed one would join two claims.
"""

from __future__ import annotations

from dataclasses import dataclass

from newsum.modeling.faithfulness.text import Token, word_set

_ABBREVIATIONS = word_set(
    """mr mrs ms dr dra prof st jr sr sra gen gov sen rep col lt sgt vs etc inc ltd co corp
    dept av no nos"""
)
_ENDS = frozenset(".!?…")
_CLOSERS = frozenset({'"', "”", "’", "'", "»", ")", "]"})


@dataclass(frozen=True)
class Sentence:
    """One sentence: ``tokens[first:last]``, and its place in the text (``start:end``)."""

    first: int
    last: int
    start: int
    end: int

    def text(self, source: str) -> str:
        """The sentence as written in ``source``."""
        return source[self.start : self.end]


def _is_abbreviation(tokens: list[Token], i: int) -> bool:
    if tokens[i].raw != "." or i == 0 or not tokens[i - 1].is_word:
        return False
    before = tokens[i - 1]
    return len(before.raw) == 1 or before.folded in _ABBREVIATIONS  # "U.S.", "p.m."


def _next_is_lower(tokens: list[Token], i: int) -> bool:
    for token in tokens[i + 1 : i + 4]:
        if token.kind in ("word", "number", "currency"):
            return token.is_word and token.raw[0].islower()
        if token.raw == "\n":
            return False
    return False


def _ends_sentence(tokens: list[Token], i: int) -> bool:
    token = tokens[i]
    if token.kind != "stop":
        return False
    if token.raw == "\n":
        return True
    if not any(c in _ENDS for c in token.raw):
        return False
    return not (_is_abbreviation(tokens, i) or _next_is_lower(tokens, i))


def _sentence(tokens: list[Token], first: int, last: int) -> Sentence | None:
    while first < last and tokens[first].raw == "\n":
        first += 1
    while last > first and tokens[last - 1].raw == "\n":
        last -= 1
    if first == last:
        return None
    end = tokens[last - 1].start + len(tokens[last - 1].raw)
    return Sentence(first, last, tokens[first].start, end)


def split_sentences(tokens: list[Token]) -> list[Sentence]:
    """The sentences of a text, from its tokens (see ``text.tokens``)."""
    found: list[Sentence] = []
    first = 0
    i = 0
    while i < len(tokens):
        if _ends_sentence(tokens, i):
            while i + 1 < len(tokens) and tokens[i + 1].raw in _CLOSERS:
                i += 1
            sentence = _sentence(tokens, first, i + 1)
            if sentence is not None:
                found.append(sentence)
            first = i + 1
        i += 1
    sentence = _sentence(tokens, first, len(tokens))
    if sentence is not None:
        found.append(sentence)
    return found
