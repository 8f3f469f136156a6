"""Quoted text, which must be the article's words exactly.

Quote marks of every style are made plain and whitespace is squashed on both sides;
case is kept. Punctuation at a quote's ends is ignored (the article may close the
sentence outside the marks), and an ellipsis splits a quote into fragments that are
each checked. A single-quoted span counts only when it is clearly a quote: it opens
after a space or bracket, closes before a non-letter and holds at least two words,
so that "Silva's" and "don't" are never read as quote marks.
"""

from __future__ import annotations

import re

from newsum.modeling.faithfulness.text import squash_spaces

_QUOTE = re.compile(
    r"“(?P<curly>[^”]+)”"
    r"|\"(?P<straight>[^\"\n]+)\""
    r"|«(?P<angle>[^»]+)»"
    r"|„(?P<low>[^“”]+)[“”]"
    r"|‘(?P<single>[^\n]+?)’(?![^\W\d_])"
    r"|(?<![^\s(\[])'(?P<plain>[^'\s][^'\n]*?\s[^'\n]*?[^'\s])'(?![^\W\d_])"
)
_MARKS = (("“", '"'), ("”", '"'), ("„", '"'), ("«", '"'), ("»", '"'), ("‘", "'"), ("’", "'"))
_ELLIPSIS = re.compile(r"\s*(?:\[\s*(?:\.\.\.|…)\s*\]|\.\.\.|…)\s*")
_EDGES = " \t\n.,;:!?\"'()[]"


def normalize_for_quotes(text: str) -> str:
    """Quote marks made plain, whitespace squashed: the form quotes are compared in."""
    for mark, plain in _MARKS:  # str.replace beats str.translate on non-ASCII text
        text = text.replace(mark, plain)
    return squash_spaces(text)


def quotes(text: str) -> list[str]:
    """The quoted spans of ``text``, marks removed, as written."""
    return [quote for _, _, quote in quote_spans(text)]


def quote_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int, str]]:
    """(start, end, quote) for each quoted span of ``text[start:end]``: where it stands,
    marks included, and the quote, marks removed."""
    found = _QUOTE.finditer(text, start, len(text) if end is None else end)
    return [(m.start(), m.end(), m.group(m.lastgroup or 0).strip()) for m in found]


def is_verbatim(quote: str, normalized_article: str) -> bool:
    """True when every fragment of ``quote`` appears in the (normalized) article."""
    fragments = (f.strip(_EDGES) for f in _ELLIPSIS.split(normalize_for_quotes(quote)))
    return all(f in normalized_article for f in fragments if f)
