"""What a figure counts: the words next to it must be the article's.

"Households will pay 6 percent less" does not support "a vote in 6 percent", and "40
novos funcionários" does not support "40 votos", though the figure is the article's.
A summary figure followed by a noun ("40 votos", "6 percent less", "5 milhões de
reais", "150 square kilometres": a word that is not a plural is read with the next)
must find that noun, by stem, beside an article figure of the same value. An article
figure with a noun of its own (a plural: "450 jobs", "40 novos funcionários", "21
vereadores votaram") counts only that: "300 ships a year and 450 jobs" does not give
450 ships. One without ("21 councillors backed the plan and three opposed it", "the
rate stands at 7 percent, the highest") counts what is around it: the three words
before and the four after, in its sentence. A currency sign is its word ("$2m" is
two million dollars), and "km" is "kilometres". Names are not what a figure counts
("105 African migrants" counts migrants).

A figure followed by no noun is left to the relation check, and so is one that reads
as a year ("in 2050") unless the article counts something with it ("2050 jobs"), and
one that closes a score ("a 6-0 win" is "a 6-0 demolition").
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
    counted: frozenset[str]  # its own noun: "2050 [jobs]"; none in "in 2050," or "three opposed"
    window: frozenset[str]  # the words before and after it
    sentence: int

    def allows(self, noun: list[frozenset[str]]) -> bool:
        """Whether a summary may say this figure counts ``noun`` (each word's stems): a
        figure with a noun of its own counts only that ("300 ships ... 450 jobs" does
        not give 450 ships); one without counts what is around it ("21 councillors
        backed the plan and three opposed it" gives three councillors)."""
        allowed = self.counted or self.window
        return all(not word.isdisjoint(allowed) for word in noun)


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


def _word_stems(token: Token, language: str | None) -> frozenset[str]:
    """A word's stems, a unit's abbreviation standing for its name ("km")."""
    aliases = (stem(w, language) for w in _UNITS.get(token.folded, ()))
    return frozenset((*token_stems(token, language), *aliases))


def _stems(words: list[Token], language: str | None) -> frozenset[str]:
    return frozenset().union(*(_word_stems(t, language) for t in words))


def _around(
    part: list[Token], at: int, until: int, language: str | None
) -> tuple[frozenset[str], frozenset[str]]:
    """Stems of the noun of a figure (tokens ``at:until`` of ``part``, one sentence),
    when it has one of its own (a plural: "450 jobs", "40 novos funcionários"), and of
    the words around it."""
    before = _stems([t for t in part[:at] if _counted(t)][-_BEFORE:], language)
    after = _stems([t for t in part[until:] if _counted(t)][:_AFTER], language)
    words = _words_after(part, until)
    own = _stems(words, language) if words and _looks_plural(words[0]) else frozenset()
    return own, before | after


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
                counted, window = _around(part, at, until, language)
                currency = _currency_stems(figure, language)
                counted = counted | currency if counted else counted
                placed.append(PlacedFigure(figure, counted, window | currency, number))
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
        stems = [_word_stems(t, language) for t in noun]
        if not noun or any(p.allows(stems) for p in placed):
            continue
        value = summary[sentence.start + start : noun[-1].start + len(noun[-1].raw)]
        evidence = passages.quote(passages.sentences[placed[0].sentence])
        found.append(Finding(FindingKind.FIGURE_CONTEXT, value, evidence))
    return found
