"""What a figure counts: the words next to it must be the article's.

"Households will pay 6 percent less" does not support "a vote in 6 percent", and "40
novos funcionários" does not support "40 votos", though the figure is the article's.
For every figure the article holds a window of content words: the three before it and
the four after it, in its sentence (a currency sign counts as its word: "$2m" is two
million dollars). A summary figure followed by a noun ("40 votos", "6 percent less",
"110 mil moradores"; one "of"/"de" may come between) must find that noun, by stem, in
the window of an article figure of the same value. A figure followed by no noun is
left to the relation check.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from newsum.modeling.faithfulness.numbers import Figure, figure_spans
from newsum.modeling.faithfulness.passages import PassageIndex
from newsum.modeling.faithfulness.sentences import Sentence
from newsum.modeling.faithfulness.stems import is_content, stem, token_stem
from newsum.modeling.faithfulness.text import Token
from newsum.modeling.faithfulness.verdict import Finding, FindingKind

_BEFORE, _AFTER = 3, 4
_NOUN_WORDS = 2
_LINKS = frozenset({"of", "de"})
_CURRENCY_WORDS = {
    "R$": ("real", "reais"), "US$": ("dollar", "dólar"), "$": ("dollar", "dólar"),
    "€": ("euro",), "£": ("pound", "libra"),
}  # fmt: skip


@dataclass(frozen=True)
class PlacedFigure:
    """An article figure, the stems around it, and the sentence that holds it."""

    figure: Figure
    window: frozenset[str]
    sentence: int


def _currency_stems(figure: Figure, language: str | None) -> set[str]:
    for sign, words in _CURRENCY_WORDS.items():
        if figure.text.startswith(sign):
            return {stem(w, language) for w in words} | {stem(w + "s", language) for w in words}
    return set()


def _window(part: list[Token], at: int, until: int, language: str | None) -> set[str]:
    """Stems of up to ``_BEFORE`` content words before token ``at`` and ``_AFTER`` from
    token ``until`` on, within ``part`` (one sentence)."""
    before = [t for t in part[:at] if is_content(t)][-_BEFORE:]
    after = [t for t in part[until:] if is_content(t)][:_AFTER]
    return {token_stem(t, language) for t in before + after}


def _token_range(part: list[Token], start: int, end: int) -> tuple[int, int]:
    starts = [t.start for t in part]
    return bisect_left(starts, start), bisect_left(starts, end)


@dataclass(frozen=True)
class FigureContextIndex:
    """Every figure of the article with the words around it."""

    placed: tuple[PlacedFigure, ...]

    @classmethod
    def build(
        cls, text: str, tokens: list[Token], sentences: list[Sentence], language: str | None
    ) -> FigureContextIndex:
        placed = []
        for number, sentence in enumerate(sentences):
            part = tokens[sentence.first : sentence.last]
            for figure, start, end in figure_spans(sentence.text(text)):
                at, until = _token_range(part, sentence.start + start, sentence.start + end)
                window = _window(part, at, until, language) | _currency_stems(figure, language)
                placed.append(PlacedFigure(figure, frozenset(window), number))
        return cls(tuple(placed))

    def same_value(self, figure: Figure) -> list[PlacedFigure]:
        """The article's figures that may mean what ``figure`` means."""
        return [
            p
            for p in self.placed
            if (p.figure.percent or not figure.percent)
            and not p.figure.readings.isdisjoint(figure.readings)
        ]


def _noun_after(part: list[Token], until: int) -> list[Token]:
    """The content words right after a figure ("40 [novos funcionários]", "5 milhões
    de [reais]"), up to ``_NOUN_WORDS``."""
    i = until
    if i < len(part) and part[i].folded in _LINKS:
        i += 1
    noun = []
    while i < len(part) and len(noun) < _NOUN_WORDS and is_content(part[i]):
        noun.append(part[i])
        i += 1
    return noun


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
        if figure.year or figure.article_like:
            continue
        placed = index.same_value(figure)
        if not placed:
            continue  # an unsupported figure: the figure check has it
        _, until = _token_range(sentence_tokens, sentence.start + start, sentence.start + end)
        noun = _noun_after(sentence_tokens, until)
        if not noun or any(token_stem(t, language) in p.window for t in noun for p in placed):
            continue
        last = noun[-1]
        value = summary[sentence.start + start : last.start + len(last.raw)]
        evidence = passages.quote(passages.sentences[placed[0].sentence])
        found.append(Finding(FindingKind.FIGURE_CONTEXT, value, evidence))
    return found
