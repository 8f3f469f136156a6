"""Figures in English and Portuguese text, each with every value it could mean.

"1.500" is 1500 in Portuguese and 1.5 in English, so a figure carries a set of
readings, and a summary's figure is supported when any of its readings equals any
reading of an article's figure: "1,500", "1.500" and "1500" meet at 1500; "110 mil",
"110 thousand" and "110.000" at 110000; "três", "three" and "3" at 3. Currency signs
are dropped. A percentage is supported only by a percentage; a plain figure by any.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
    "um": 1, "uma": 1, "dois": 2, "duas": 2, "três": 3, "tres": 3, "quatro": 4, "cinco": 5,
    "seis": 6, "sete": 7, "oito": 8, "nove": 9, "dez": 10, "onze": 11, "doze": 12,
    "treze": 13, "catorze": 14, "quatorze": 14, "quinze": 15, "dezesseis": 16,
    "dezasseis": 16, "dezessete": 17, "dezassete": 17, "dezoito": 18, "dezenove": 19,
    "dezanove": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
    "vinte": 20, "trinta": 30, "quarenta": 40, "cinquenta": 50, "sessenta": 60,
    "setenta": 70, "oitenta": 80, "noventa": 90,
    "hundred": 100, "cem": 100, "thousand": 1000, "mil": 1000,
}  # fmt: skip
_WORDS = {**_UNITS, **_TENS}
_ARTICLE_LIKE = frozenset({"one", "um", "uma"})
"""Also "a"/"an" or a pronoun ("one of them", "um plano"): a figure only with a scale."""

_SCALES = {
    "thousand": 10**3, "thousands": 10**3, "mil": 10**3,
    "million": 10**6, "millions": 10**6, "milhão": 10**6, "milhao": 10**6,
    "milhões": 10**6, "milhoes": 10**6, "mi": 10**6, "mn": 10**6,
    "billion": 10**9, "billions": 10**9, "bilhão": 10**9, "bilhao": 10**9,
    "bilhões": 10**9, "bilhoes": 10**9, "bi": 10**9, "bn": 10**9,
    "trillion": 10**12, "trilhão": 10**12, "trilhao": 10**12, "trilhões": 10**12,
    "trilhoes": 10**12, "tri": 10**12,
}  # fmt: skip
NUMBER_WORDS = (frozenset(_WORDS) | frozenset(_SCALES)) - _ARTICLE_LIKE
"""Words that write or scale a figure ("three", "mil", "milhões")."""
SCALE_WORDS = frozenset(_SCALES)
"""Words that multiply the figure before them ("mil", "million")."""
_SUFFIXES = {"k": 10**3, "m": 10**6, "mn": 10**6, "bn": 10**9}
"""Written against the digits: "10k", "£2m", "$3bn"."""


def _alternation(words: Iterable[str]) -> str:
    """A regex matching any of ``words``, longest first, grouped by first letter (a
    flat list of sixty words is tried one by one at every word of an article)."""
    by_first: dict[str, list[str]] = {}
    for word in sorted(words, key=len, reverse=True):
        by_first.setdefault(word[0], []).append(re.escape(word[1:]))
    return "|".join(f"{re.escape(c)}(?:{'|'.join(rest)})" for c, rest in by_first.items())


_DIGITS = r"\d{1,3}(?:[.,\u00a0\u202f]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_SPELLED = (
    rf"(?:{_alternation(_TENS)})(?:-|\s+e\s+|\s+)(?:{_alternation(_UNITS)})"
    rf"|{_alternation(_WORDS)}"
)
_FIGURE = re.compile(
    rf"(?<!\w)(?:(?:R\$|US\$|[$€£])\s?)?"
    rf"(?:(?P<digits>{_DIGITS})|(?P<spelled>{_SPELLED}))"
    rf"(?:(?P<suffix>{_alternation(_SUFFIXES)})|\s*(?P<scale>{_alternation(_SCALES)}))?"
    r"(?P<percent>\s?%|\s+(?:per\s?cent|percent|por\s+cento|percentage\s+points?"
    r"|pontos?\s+percentua(?:l|is)))?"
    r"(?!\w)",
    re.IGNORECASE,
)
_GROUP_SEPARATORS = re.compile(r"[\u00a0\u202f]")


@dataclass(frozen=True)
class Figure:
    """A figure as written, and the values it could mean."""

    text: str
    readings: frozenset[Decimal]
    percent: bool = False
    year: bool = False
    article_like: bool = False  # "one"/"um"/"uma" alone: counted in an article only


def _digit_readings(digits: str) -> set[Decimal]:
    """Every value "1.500", "1,5" or "1.500,25" may have in English or Portuguese."""
    digits = _GROUP_SEPARATORS.sub("", digits)
    seps = {c for c in digits if c in ".,"}
    if not seps:
        return {Decimal(digits)}
    if len(seps) == 2:  # the last separator is the decimal point
        point = max(digits.rfind("."), digits.rfind(","))
        whole = re.sub(r"[.,]", "", digits[:point])
        return {Decimal(f"{whole}.{digits[point + 1 :]}")}
    sep = seps.pop()
    parts = digits.split(sep)
    grouped = all(len(p) == 3 for p in parts[1:]) and 1 <= len(parts[0]) <= 3
    readings = {Decimal("".join(parts))} if grouped else set()
    if len(parts) == 2:
        readings.add(Decimal(f"{parts[0]}.{parts[1]}"))
    return readings


def _spelled_value(spelled: str) -> int:
    """The value of a spelled-out number: "three" is 3, "vinte e cinco" 25."""
    words = re.split(r"-|\s+e\s+|\s+", spelled.lower())
    return sum(_WORDS[w] for w in words)


def _figure(match: re.Match[str]) -> Figure:
    digits, spelled = match["digits"], match["spelled"]
    readings = _digit_readings(digits) if digits else {Decimal(_spelled_value(spelled))}
    suffix = (match["suffix"] or "").lower()
    scale = _SUFFIXES[suffix] if suffix else _SCALES.get((match["scale"] or "").lower(), 1)
    scaled = {r * scale for r in readings}
    if suffix == "m":  # "2m" may be metres as well as millions
        scaled |= readings
    is_year = bool(
        digits
        and digits.isdigit()
        and len(digits) == 4
        and 1900 <= int(digits) <= 2099
        and scale == 1
        and not match["percent"]
        and match.start("digits") == match.start()
    )
    article_like = bool(spelled and spelled.lower() in _ARTICLE_LIKE and scale == 1)
    return Figure(
        text=match.group().strip(),
        readings=frozenset(scaled),
        percent=bool(match["percent"]),
        year=is_year,
        article_like=article_like,
    )


def figures(text: str) -> list[Figure]:
    """The figures of ``text`` in order of appearance."""
    return [_figure(m) for m in _FIGURE.finditer(text)]


def figure_spans(text: str) -> list[tuple[Figure, int, int]]:
    """The figures of ``text`` with where each begins and ends, for the words around it."""
    return [(_figure(m), m.start(), m.end()) for m in _FIGURE.finditer(text)]


@dataclass(frozen=True)
class FigureIndex:
    """Every value the article's figures could mean, percentages apart."""

    values: frozenset[Decimal]
    percents: frozenset[Decimal]

    @classmethod
    def build(cls, article_figures: list[Figure]) -> FigureIndex:
        values = frozenset(r for f in article_figures for r in f.readings)
        percents = frozenset(r for f in article_figures if f.percent for r in f.readings)
        return cls(values=values, percents=percents)

    def supports(self, figure: Figure) -> bool:
        """True when some reading of ``figure`` is a reading of an article figure."""
        return not figure.readings.isdisjoint(self.percents if figure.percent else self.values)
