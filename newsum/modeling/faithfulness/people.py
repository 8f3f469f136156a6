"""The people of an article, and the ways a text refers to them besides their name.

A person is known by a key, the last word of their name (a surname stands for the full
name). An article also calls a person by a first name that no other person of it
shares ("Tomas" for Tomas Brandt, "Ana" for Ana Souza), and gives people ages
in the forms news uses: "Ana Souza, 34,", "Ana Souza (34)", "Ana Souza, aged 34",
"34-year-old Ana Souza", "Ana Souza, de 34 anos". An age attached to a name is a fact
about the person, like a role, not about what the sentence says they did: "Barry
Reed, 51, was charged" is supported by "Reed was charged" when the article says
elsewhere that Reed is 51.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from newsum.modeling.faithfulness.names import NameSpan
from newsum.modeling.faithfulness.sentences import Sentence
from newsum.modeling.faithfulness.text import Token

_MAX_AGE = 120
_AGE_WORDS = frozenset({"year-old", "years-old"})
_YEARS = frozenset({"year", "years"})
_AGED = frozenset({"aged", "age"})
_PT_YEARS = frozenset({"anos", "ano"})


def _age_value(token: Token) -> Decimal | None:
    if token.kind != "number" or not token.raw.isdigit():
        return None
    try:
        value = Decimal(token.raw)
    except InvalidOperation:  # pragma: no cover - digits always parse
        return None
    return value if 0 < value <= _MAX_AGE else None


def _words(tokens: list[Token], start: int, count: int) -> list[Token]:
    """Up to ``count`` tokens from ``start``, the hyphens between words skipped
    ("30 - year - old" as generated text writes it)."""
    found = []
    i = start
    while i < len(tokens) and len(found) < count:
        if tokens[i].raw not in ("-", "–"):
            found.append(tokens[i])
        i += 1
    return found


def year_old_at(tokens: list[Token], i: int) -> int:
    """How many tokens, from ``i``, write "N-year-old" ("30-year-old", "30 - year -
    old"), after the number at ``i``; 0 when they do not."""
    j = i + 1
    while j < len(tokens) and tokens[j].raw in ("-", "–"):
        j += 1
    if j < len(tokens) and tokens[j].folded in _AGE_WORDS:
        return j + 1 - i
    if j < len(tokens) and tokens[j].folded in _YEARS:
        k = j + 1
        while k < len(tokens) and tokens[k].raw in ("-", "–"):
            k += 1
        if k < len(tokens) and tokens[k].folded == "old" and k > j + 1:
            return k + 1 - i
    return 0


def attached_ages(tokens: list[Token], span: NameSpan) -> Iterator[tuple[int, Decimal]]:
    """(token position, value) of each age written against the name at ``span``."""
    after = tokens[span.end : span.end + 4]
    if len(after) >= 2 and after[0].raw in (",", "("):
        rest = after[1:]
        if rest[0].folded in _AGED and len(rest) > 1:
            rest = rest[1:]
        value = _age_value(rest[0])
        closes = len(rest) == 1 or rest[1].raw in (",", ")", ".", ";") or rest[1].raw[0] in ".!?"
        if value is not None and closes:
            yield span.end + after.index(rest[0]), value
        elif rest[0].folded == "de" and len(rest) > 2:  # "Ana Souza, de 34 anos"
            value = _age_value(rest[1])
            if value is not None and rest[2].folded in _PT_YEARS:
                yield span.end + after.index(rest[1]), value
    for i in range(max(span.start - 6, 0), span.start):
        value = _age_value(tokens[i])
        length = year_old_at(tokens, i) if value is not None else 0
        if length and i + length >= span.start - 1:  # "the 34-year-old [Ana Souza]"
            yield i, value


def _described_ages(
    tokens: list[Token],
    spans: list[NameSpan],
    keys: frozenset[str],
    sentences: list[Sentence],
    attached: set[int],
) -> Iterator[tuple[str, Decimal]]:
    """(key, age) for each "the N-year-old" of a sentence that names no person: of the
    people named in the last sentence that names someone, the one the article names
    most (news describes its protagonist so)."""
    mentions = Counter(s.name.words[-1] for s in spans if s.name.words[-1] in keys)
    starts = sorted((s.start, s.name.words[-1]) for s in spans if s.name.words[-1] in keys)
    at = 0
    last: str | None = None
    for sentence in sentences:
        named = []
        while at < len(starts) and starts[at][0] < sentence.last:
            if starts[at][0] >= sentence.first:
                named.append(starts[at][1])
            at += 1
        if named:
            last = max(named, key=lambda k: (mentions[k], -named.index(k)))
            continue
        if last is None:
            continue
        for i in range(sentence.first, sentence.last - 1):
            value = _age_value(tokens[i])
            if value is not None and i not in attached and year_old_at(tokens, i):
                yield last, value


@dataclass(frozen=True)
class People:
    """The persons of an article: their keys, what else names them, and their ages."""

    keys: frozenset[str]
    aliases: Mapping[str, str]  # folded word -> key: the surname, and a first name of one person
    ages: Mapping[str, frozenset[Decimal]]  # key -> the ages the article gives them

    @classmethod
    def build(
        cls,
        tokens: list[Token],
        spans: list[NameSpan],
        keys: frozenset[str],
        sentences: list[Sentence],
        lower_words: frozenset[str] = frozenset(),
    ) -> People:
        """The people among ``spans`` (names of ``tokens``, in ``sentences``) whose last
        words are ``keys``; ``lower_words`` are the words the article writes in lower
        case, never a first name ("Striker Ana Lima" in a caption)."""
        firsts: dict[str, set[str]] = {}
        ages: dict[str, set[Decimal]] = {}
        attached: set[int] = set()
        for span in spans:
            words = span.name.words
            if words[-1] not in keys:
                continue
            if len(words) > 1:
                firsts.setdefault(words[0], set()).add(words[-1])
            for at, value in attached_ages(tokens, span):
                ages.setdefault(words[-1], set()).add(value)
                attached.add(at)
        for key, value in _described_ages(tokens, spans, keys, sentences, attached):
            ages.setdefault(key, set()).add(value)
        aliases = {key: key for key in keys}
        for first, owners in firsts.items():
            if len(owners) == 1 and first not in keys and first not in lower_words:
                aliases[first] = next(iter(owners))
        return cls(keys, aliases, {k: frozenset(v) for k, v in ages.items()})

    def key(self, words: tuple[str, ...]) -> str | None:
        """The person a name (folded words) stands for, if it is a person's."""
        if words[-1] in self.keys:
            return words[-1]
        return self.aliases.get(words[0]) if len(words) == 1 else None

    def mentioned(self, words: Iterable[str]) -> frozenset[str]:
        """The keys of the persons that ``words`` (a passage's folded words) name."""
        return frozenset(self.aliases[w] for w in words if w in self.aliases)

    def of_age(self, value: Decimal) -> list[str]:
        """The persons the article gives the age ``value``."""
        return [key for key, ages in self.ages.items() if value in ages]
