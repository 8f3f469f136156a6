"""Sentences, found in a text's tokens: where a summary's claims and an article's
passages begin and end.

A sentence ends at ". ! ? …" or a line break, with closing quotes and brackets kept
on it. A full stop after an abbreviation ("Mr.", "Dr.", "U.S.", "p.m.") or followed by a
word in lower case ("approx. five") ends nothing. A closing quote written against its
last word and followed by a capitalised word ends a sentence whose full stop was lost
(captions and generated summaries often read "... it was a turning point' He believes
..."). The relation check compares one
summary sentence with a window of article sentences, so a rare wrong split costs
little, while a missed one would join two claims.
"""

from __future__ import annotations

from dataclasses import dataclass

from newsum.modeling.faithfulness.stems import is_content
from newsum.modeling.faithfulness.text import Token, word_set

_ABBREVIATIONS = word_set(
    """mr mrs ms dr dra prof st jr sr sra gen gov sen rep col lt sgt vs etc inc ltd co corp
    dept av no nos"""
)
_ENDS = frozenset(".!?…")
_CLOSERS = frozenset({'"', "”", "’", "'", "»", ")", "]"})
_QUOTE_MARKS = frozenset({'"', "”", "’", "'"})


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
    if i > 1 and tokens[i - 2].kind == "number" and _adjacent(tokens[i - 2], before):
        return False  # "since the 1980s." ends a sentence
    return len(before.raw) == 1 or before.folded in _ABBREVIATIONS  # "U.S.", "p.m."


def _adjacent(first: Token, second: Token) -> bool:
    return first.start + len(first.raw) == second.start


def _next_is_lower(tokens: list[Token], i: int) -> bool:
    for token in tokens[i + 1 : i + 4]:
        if token.kind in ("word", "number", "currency"):
            return token.is_word and token.raw[0].islower()
        if token.raw == "\n":
            return False
    return False


def _closes_lost_stop(tokens: list[Token], i: int) -> bool:
    """A quote closing against a word (or a straight double quote that closes an even
    count of them, however spaced), then a space and a capitalised word: "... a turning
    point' He believes", "... a " wry satirist " The paper called him"."""
    token = tokens[i]
    if token.raw not in _QUOTE_MARKS or i == 0 or i + 1 >= len(tokens):
        return False
    before, after = tokens[i - 1], tokens[i + 1]
    attached = before.kind in ("word", "number") and _adjacent(before, token)
    spaced = after.start > token.start + len(token.raw)
    if not (spaced and after.is_word and after.capitalised):
        return False
    return attached or (token.raw == '"' and _closes_pair(tokens, i))


def _closes_pair(tokens: list[Token], i: int) -> bool:
    """Whether the straight double quote at ``i`` is the second of a pair in its
    sentence so far."""
    count = 0
    for j in range(i, -1, -1):
        raw = tokens[j].raw
        if j < i and _ends_sentence_plain(tokens, j):
            break
        count += raw == '"'
    return count % 2 == 0


def _ends_sentence(tokens: list[Token], i: int) -> bool:
    return _closes_lost_stop(tokens, i) or _ends_sentence_plain(tokens, i)


def _ends_sentence_plain(tokens: list[Token], i: int) -> bool:
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


_COORDINATORS = word_set("and but while whereas e mas enquanto")


def _starts_clause(tokens: list[Token], i: int, last: int) -> bool:
    """Whether ``tokens[i]`` ("and", "but", ";") opens a clause with a subject of its
    own: a capitalised name, then a word in lower case ("... and Ana Souza won it
    at 24"), not the last item of a list ("Reed, Shaw and Ana Souza scored")."""
    token = tokens[i]
    if token.raw == ";":
        return True
    if not (token.is_word and token.folded in _COORDINATORS and not token.capitalised):
        return False
    if i > 0 and tokens[i - 1].is_word and tokens[i - 1].capitalised:
        return False  # "Johnson, Lee and Ana Souza crossing ...": the last of a list
    j = i + 1
    while j < last and tokens[j].is_word and tokens[j].capitalised:
        j += 1
    after = tokens[j] if j < last else None
    return j > i + 1 and after is not None and is_content(after) and after.raw[0].islower()


def split_clauses(tokens: list[Token], sentence: Sentence) -> list[Sentence]:
    """``sentence`` cut where a clause with its own subject begins ("Reed won the title
    at 29 and Ana Souza won it at 24", or at a semicolon),
    when the part before it says something of its own (a content word in lower case):
    each clause is a claim of its own. Otherwise the sentence, whole."""
    cuts = [sentence.first]
    for i in range(sentence.first + 1, sentence.last - 1):
        if _starts_clause(tokens, i, sentence.last) and _says_something(tokens[cuts[-1] : i]):
            cuts.append(i + 1 if tokens[i].raw == ";" else i)
    if len(cuts) == 1:
        return [sentence]
    bounds = [*cuts, sentence.last]
    parts = [_sentence(tokens, a, b) for a, b in zip(bounds, bounds[1:], strict=False)]
    return [p for p in parts if p is not None]


def _says_something(part: list[Token]) -> bool:
    return any(is_content(t) and not t.capitalised for t in part)


def split_at(tokens: list[Token], sentences: list[Sentence], offset: int) -> list[Sentence]:
    """``sentences`` with the one that spans ``offset`` (a character position) cut there:
    a dateline ("Recife (AP)") is not part of the first sentence."""
    if offset <= 0:
        return sentences
    result = []
    for sentence in sentences:
        if sentence.start < offset < sentence.end:
            cut = next(
                (i for i in range(sentence.first, sentence.last) if tokens[i].start >= offset), None
            )
            if cut is not None and cut > sentence.first:
                result += [
                    p
                    for p in (
                        _sentence(tokens, sentence.first, cut),
                        _sentence(tokens, cut, sentence.last),
                    )
                    if p
                ]
                continue
        result.append(sentence)
    return result
