"""What a figure counts: the words next to it must be the article's.

"Households will pay 6 percent less" does not support "a vote in 6 percent", and "40
novos funcionários" does not support "40 votos", though the figure is the article's.
A summary figure followed by a noun ("40 votos", "6 percent less", "5 milhões de
reais", "150 square kilometres": a word that is not a plural is read with the next)
must find that noun, by stem, beside an article figure of the same value: among the
two words right after it ("40 novos [funcionários]", "21 [vereadores votaram] a
favor") or the three words before it ("21 councillors backed the plan and [three]
opposed it"). Where the article counts
nothing with its figure ("the rate stands at 7 percent, the highest"), the four words
after it count too. A currency sign is its word ("$2m" is two million dollars). A
figure followed by no noun is left to the relation check, and so is one that reads as
a year ("in 2050") unless the article counts something with it ("2050 jobs"), and one
that closes a score ("a 6-0 win" is "a 6-0 demolition"). Names are not what a figure
counts ("105 African migrants" counts migrants), and "km" is "kilometres".
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from newsum.modeling.faithfulness.numbers import Figure, figure_spans
from newsum.modeling.faithfulness.passages import PassageIndex, PlacedSpan
from newsum.modeling.faithfulness.sentences import Sentence
from newsum.modeling.faithfulness.stems import is_content, stem, token_stems
from newsum.modeling.faithfulness.text import ALL_GROUP_WORDS, Token
from newsum.modeling.faithfulness.verdict import Finding, FindingKind

_BEFORE, _AFTER = 3, 4
_LINKS = frozenset({"of", "de"})
_IRREGULAR_PLURALS = frozenset({"people", "men", "women", "children", "police", "staff"})
_ADJECTIVES = frozenset({"new", "novos", "novas", "more", "mais", "other", "outros", "outras"})
_UNITS = {
    "km": ("kilometre", "kilometres", "kilometer", "kilometers", "quilômetro", "quilômetros"),
    "m": ("metre", "metres", "meter", "meters", "metro", "metros"),
    "cm": ("centimetre", "centimetres", "centimeter", "centimeters", "centímetros"),
    "kg": ("kilogram", "kilograms", "kilo", "kilos", "quilo", "quilos"),
    "mph": ("miles",), "mi": ("mile", "miles"), "ft": ("foot", "feet"),
    "lb": ("pound", "pounds"), "lbs": ("pound", "pounds"), "ha": ("hectare", "hectares"),
}  # fmt: skip
"""Abbreviated units, and the words they stand for in either language."""
_CURRENCY_WORDS = {
    "R$": ("real", "reais"), "US$": ("dollar", "dólar"), "$": ("dollar", "dólar"),
    "€": ("euro",), "£": ("pound", "libra"),
}  # fmt: skip


@dataclass(frozen=True)
class PlacedFigure:
    """An article figure, the stems around it, and the sentence that holds it."""

    figure: Figure
    before: frozenset[str]
    counted: frozenset[str]  # the words right after it: "2050 [jobs]"; none in "in 2050,"
    window: frozenset[str]
    sentence: int

    def allows(self, noun: set[str]) -> bool:
        """Whether a summary may say this figure counts ``noun`` (stems)."""
        if self.counted:
            return noun <= self.counted | self.before
        return noun <= self.window


def _currency_stems(figure: Figure, language: str | None) -> set[str]:
    for sign, words in _CURRENCY_WORDS.items():
        if figure.text.startswith(sign):
            return {stem(w, language) for w in words} | {stem(w + "s", language) for w in words}
    return set()


def _counted(token: Token) -> bool:
    """A word that may say what a figure counts; groups count too ("40 moradores"),
    names do not ("105 African migrants": "African" qualifies)."""
    if not token.is_word or token.capitalised:
        return False
    return is_content(token) or token.folded in ALL_GROUP_WORDS


def _stems(words: list[Token], language: str | None) -> frozenset[str]:
    """Stems of ``words``, a unit's abbreviation standing for its name ("km")."""
    found = set()
    for token in words:
        found.update(token_stems(token, language))
        found.update(stem(w, language) for w in _UNITS.get(token.folded, ()))
    return frozenset(found)


def _around(
    part: list[Token], at: int, until: int, language: str | None
) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Stems of the words before a figure (tokens ``at:until`` of ``part``, one
    sentence), of what it counts, and of its whole window."""
    before = _stems([t for t in part[:at] if _counted(t)][-_BEFORE:], language)
    after = _stems([t for t in part[until:] if _counted(t)][:_AFTER], language)
    return before, _stems(_words_after(part, until), language), before | after


def _token_range(part: list[Token], start: int, end: int) -> tuple[int, int]:
    starts = [t.start for t in part]
    return bisect_left(starts, start), bisect_left(starts, end)


@dataclass(frozen=True)
class FigureContextIndex:
    """Every figure of the article with the words around it."""

    placed: tuple[PlacedFigure, ...]

    @classmethod
    def build(
        cls,
        tokens: list[Token],
        sentences: list[Sentence],
        figures: list[list[PlacedSpan]],
        language: str | None,
    ) -> FigureContextIndex:
        """The figures of an article (``figures`` by sentence) with their words."""
        placed = []
        for number, (sentence, spans) in enumerate(zip(sentences, figures, strict=True)):
            part = tokens[sentence.first : sentence.last]
            for figure, start, end in spans:
                at, until = _token_range(part, start, end)
                before, counted, window = _around(part, at, until, language)
                currency = _currency_stems(figure, language)
                counted = counted | currency if counted else counted
                placed.append(
                    PlacedFigure(figure, before | currency, counted, window | currency, number)
                )
        return cls(tuple(placed))

    def same_value(self, figure: Figure) -> list[PlacedFigure]:
        """The article's figures that may mean what ``figure`` means."""
        return [
            p
            for p in self.placed
            if (p.figure.percent or not figure.percent)
            and not p.figure.readings.isdisjoint(figure.readings)
        ]


def _looks_plural(token: Token) -> bool:
    return token.folded.endswith("s") or token.folded in _IRREGULAR_PLURALS


def _words_after(part: list[Token], until: int) -> list[Token]:
    """Up to two counted words right after a figure, past one "of"/"de" and adjectives
    such as "novos": "40 novos [funcionários]", "21 [vereadores votaram] a favor"."""
    i = until
    if i < len(part) and part[i].folded in _LINKS:
        i += 1
    while (
        i < len(part) and part[i].is_word and (part[i].folded in _ADJECTIVES or part[i].capitalised)
    ):
        i += 1
    words = []
    while i < len(part) and len(words) < 2 and _counted(part[i]):
        words.append(part[i])
        i += 1
    return words


def _noun_after(part: list[Token], until: int) -> list[Token]:
    """What a summary figure counts: "40 [votos]", "5 milhões de [reais]", "150 [square
    kilometres]" (a word that is not a plural is read with the next: it may qualify
    it); [] for "7 percent, the highest"."""
    words = _words_after(part, until)
    return words[:1] if words and _looks_plural(words[0]) else words


def _in_score(part: list[Token], start: int) -> bool:
    """Whether the figure at ``start`` closes a score or a range ("6-0 win", "2 - 1"):
    the words after belong to the pair, which an article may call a win or a defeat."""
    at = bisect_left([t.start for t in part], start)
    return at >= 2 and part[at - 1].raw in ("-", "–", "—") and part[at - 2].kind == "number"


def figure_context_findings(
    summary: str,
    sentence_tokens: list[Token],
    sentence: Sentence,
    index: FigureContextIndex,
    passages: PassageIndex,
    language: str | None,
) -> list[Finding]:
    """A ``figure_context`` finding for each figure of one summary sentence whose noun
    no article figure of the same value has beside it; the value is the figure and its
    noun as written, the evidence the article's sentence with that figure."""
    found = []
    for figure, start, end in figure_spans(sentence.text(summary)):
        if figure.article_like or _in_score(sentence_tokens, sentence.start + start):
            continue
        placed = [p for p in index.same_value(figure) if p.counted or not figure.year]
        if not placed:
            continue  # an unsupported figure: the figure check has it
        _, until = _token_range(sentence_tokens, sentence.start + start, sentence.start + end)
        noun = _noun_after(sentence_tokens, until)
        stems = set(_stems(noun, language))
        if not stems or any(p.allows(stems) for p in placed):
            continue
        value = summary[sentence.start + start : noun[-1].start + len(noun[-1].raw)]
        evidence = passages.quote(passages.sentences[placed[0].sentence])
        found.append(Finding(FindingKind.FIGURE_CONTEXT, value, evidence))
    return found
