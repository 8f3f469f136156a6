"""Roles and titles given to a name, and whether a summary gives a name its own.

Appositions are read in the forms news uses in English and Portuguese:

- before the name, after a determiner or a possessive: "the trade minister Peter
  Walker", "o presidente do clube Caio Barros", "Westfield's trade minister, Sarah
  Frost," (a comma between them only when another closes the name);
- after the name, between commas or before the sentence ends: "Peter Walker, the
  trade minister,", "Caio Barros, chefe da agência espacial,";
- in brackets: "Júlia Teixeira (presidente do partido)";
- a title written as part of the name: "Mayor Helena Okafor".

A role is lower-case words, with "of"/"for"/"de"/"do"/"da" inside; a word that reads as a
verb in the past ("raised", "levou") ends it, so "the police arrested Ana" gives no
role, and a name that qualifies the words after it ("the main Shia opposition group")
holds none. A modifier ("former", "acting") is said of the role, not part of it.

A summary's role for a name is right when it is one the article gives that person
(compared by stems, so "the minister for trade" is "the trade minister"), or when the
article says it of that person in a sentence of its own. It is wrong when it is
another person's role, or when the article says it of no one alongside that name (for
a name the article treats as a person's: see ``passages``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

from newsum.modeling.faithfulness.names import NameSpan, name_spans
from newsum.modeling.faithfulness.passages import PassageIndex
from newsum.modeling.faithfulness.stems import NOT_CONTENT, stem, token_stems
from newsum.modeling.faithfulness.text import ROLE_MODIFIERS, Token, word_set
from newsum.modeling.faithfulness.verdict import Finding, FindingKind

_DETERMINERS = word_set("the a an his her its their our o os as um uma seu sua")
_CONNECTORS = word_set("of for de do da dos das")
_PAST_ENDINGS = ("ed", "ou", "iu", "aram", "eram", "iram")  # not "-eu": "museu", "europeu"
_MAX_ROLE_TOKENS = 7
_MODIFIERS = ROLE_MODIFIERS
_HONORIFICS = word_set("mr mrs ms dr dra prof sir sr sra")
"""Titles that say nothing of a role ("Mr Walker")."""
_CLOSING = frozenset({",", ")", ".", ";", ":", "!", "?", "\n", "…"})


@dataclass(frozen=True)
class Role:
    """A role given to a name: the holder's folded words, the role's stems, and where
    the apposition stands in its text (``start:end``, holder included)."""

    holder: tuple[str, ...]
    stems: frozenset[str]  # hyphenated words whole: "economista-chefe"
    start: int
    end: int
    parts: frozenset[str] = frozenset()  # hyphenated words in parts, as sentences hold them


def _is_role_word(token: Token) -> bool:
    folded = token.folded
    return (
        token.is_word
        and not token.capitalised
        and folded not in NOT_CONTENT
        and not (len(folded) > 4 and folded.endswith(_PAST_ENDINGS))
        and not folded.endswith(("ly", "mente"))  # an adverb: "spread quickly across"
    )


def _is_connector(tokens: list[Token], i: int) -> bool:
    """ "of"/"de"... inside a role, and "the" after "of" ("chief of the port")."""
    folded = tokens[i].folded
    return folded in _CONNECTORS or (folded == "the" and i > 0 and tokens[i - 1].folded == "of")


def _closes(tokens: list[Token], i: int, closer: str | None) -> bool:
    if i >= len(tokens):
        return closer is None
    raw = tokens[i].raw
    return raw == ")" if closer == ")" else raw in _CLOSING or raw[0] in ".!?…"


def _role_after(tokens: list[Token], span: NameSpan) -> tuple[int, int] | None:
    """Token range of "X, the role," or "X (role)" after the name, else None."""
    i = span.end
    if i >= len(tokens) or tokens[i].raw not in (",", "("):
        return None
    closer = ")" if tokens[i].raw == "(" else None
    i += 1
    if i < len(tokens) and tokens[i].folded in _DETERMINERS and tokens[i].is_word:
        i += 1
    first = i
    while i < len(tokens) and i - first < _MAX_ROLE_TOKENS:
        if _is_role_word(tokens[i]) or (i > first and _is_connector(tokens, i)):
            i += 1
        else:
            break
    if i == first or _is_connector(tokens, i - 1) or not _closes(tokens, i, closer):
        return None
    return first, i


def _role_before(tokens: list[Token], span: NameSpan) -> tuple[int, int] | None:
    """Token range of "the role X" or "Town's role, X," before the name, else None."""
    i = span.start - 1
    if i >= 0 and tokens[i].raw == ",":
        if not _closes(tokens, span.end, None):
            return None  # "In the final, Ruth Shaw scored": no apposition
        i -= 1
    last = i + 1
    while i >= 0 and last - i <= _MAX_ROLE_TOKENS:
        if _is_role_word(tokens[i]) or (i < last - 1 and _is_connector(tokens, i)):
            i -= 1
        else:
            break
    first = i + 1
    while first < last and _is_connector(tokens, first):
        first += 1
    if first == last or i < 0 or tokens[last - 1].folded in _MODIFIERS:
        return None
    opener = tokens[i]
    determiner = opener.is_word and opener.folded in _DETERMINERS
    possessive = opener.capitalised and opener.raw.endswith(("'s", "’s"))
    return (first, last) if determiner or possessive else None


def appositions(tokens: list[Token], spans: list[NameSpan], language: str | None) -> Iterator[Role]:
    """Every role the text (``tokens``, names at ``spans``) gives a name, in the forms
    the module docstring lists."""
    for span in spans:
        if _qualifies(tokens, span):
            continue
        for found in (_role_before(tokens, span), _role_after(tokens, span)):
            if found is None:
                continue
            first, last = found
            words = [t for t in tokens[first:last] if t.folded not in _CONNECTORS | _MODIFIERS]
            if not words:
                continue
            # Whole, hyphens kept: "economista-chefe" is not "chefe da pasta da economia".
            stems = frozenset(stem(_plain(t), language) for t in words)
            parts = frozenset(s for t in words for s in token_stems(t, language))
            begin, end = min(first, span.start), max(last, span.end)
            start, stop = tokens[begin].start, _end(tokens[end - 1])
            yield Role(span.name.words, stems, start, stop, parts)
        if span.titles:
            stems = frozenset(stem(t, language) for t in span.titles if t not in _HONORIFICS)
            if stems:
                start = tokens[span.start - 1].start
                yield Role(span.name.words, stems, start, _end(tokens[span.end - 1]), stems)


def _qualifies(tokens: list[Token], span: NameSpan) -> bool:
    """Whether the name qualifies the words after it ("Shia [opposition group]", "the
    Labour [leader] Keir Starmer"), not "Sarah Frost won the vote"."""
    after = tokens[span.end : span.end + 2]
    return (
        len(after) == 2
        and _is_role_word(after[0])
        and (_is_role_word(after[1]) or after[1].capitalised)
    )


def _plain(token: Token) -> str:
    return token.raw.lower().replace("’", "'").removesuffix("'s")


def _end(token: Token) -> int:
    return token.start + len(token.raw)


def _same_person(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """A surname stands for the full name: same last word, one name within the other."""
    return a[-1] == b[-1] and (set(a) <= set(b) or set(b) <= set(a))


@dataclass(frozen=True)
class RoleIndex:
    """The roles an article gives its names."""

    roles: tuple[Role, ...]

    @classmethod
    def build(cls, tokens: list[Token], spans: list[NameSpan], language: str | None) -> RoleIndex:
        """The roles of an article's ``tokens`` (names at ``spans``)."""
        return cls(tuple(appositions(tokens, spans, language)))

    def holders(self) -> set[str]:
        """The last words of the names that hold a role."""
        return {role.holder[-1] for role in self.roles}

    def judge(self, role: Role, passages: PassageIndex) -> str | None:
        """None when the article gives ``role`` to its holder; else the passage that
        shows why not (the holder's own role, or whose role it is)."""
        own = [r for r in self.roles if _same_person(r.holder, role.holder)]
        if any(role.stems <= r.stems for r in own):
            return None
        others = [r for r in self.roles if r.holder[-1] != role.holder[-1]]
        theirs = [r for r in others if role.stems <= r.stems]
        if not own and not theirs and role.holder[-1] not in passages.persons:
            return None  # a name the article never treats as a person's: nothing to judge
        if not theirs and any(
            role.holder[-1] in s.words and role.parts <= s.stems for s in passages.sentences
        ):
            return None
        shown = own[0] if own else (theirs[0] if theirs else None)
        if shown is not None:
            return _sentence_quote(passages, shown.start)
        mentions = [s for s in passages.sentences if role.holder[-1] in s.words]
        return passages.quote(mentions[0]) if mentions else ""


def _sentence_quote(passages: PassageIndex, offset: int) -> str:
    starts = [s.start for s in passages.sentences]
    at = max(bisect_right(starts, offset) - 1, 0)
    return passages.quote(passages.sentences[at])


def role_findings(
    summary: str,
    summary_tokens: list[Token],
    index: RoleIndex,
    passages: PassageIndex,
    language: str | None,
) -> list[Finding]:
    """A ``wrong_role`` finding for each role the summary gives a name that the article
    does not give that person; the value is the apposition as the summary writes it."""
    found = []
    for role in appositions(summary_tokens, name_spans(summary_tokens), language):
        evidence = index.judge(role, passages)
        if evidence is not None:
            found.append(Finding(FindingKind.WRONG_ROLE, summary[role.start : role.end], evidence))
    return found
