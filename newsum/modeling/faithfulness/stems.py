"""Words lemmatised lightly: a Snowball stem, folded, so that "voted", "votes" and
"vote", or "votaram", "votos" and "votação", meet.

The relation check compares what a summary sentence says with what an article passage
says word by word; an exact match would call every change of tense or number a new
claim. Snowball (the ``snowballstemmer`` package, the algorithms search engines use
for English and Portuguese) strips inflections without a dictionary and without a
model. It over-joins a little ("general" and "generate"), which only makes the check
more lenient, never stricter.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import snowballstemmer

from newsum.modeling.faithfulness.dates import DATE_WORDS
from newsum.modeling.faithfulness.numbers import NUMBER_WORDS
from newsum.modeling.faithfulness.text import (
    ALL_FUNCTION_WORDS,
    ALL_GROUP_WORDS,
    Token,
    fold,
    word_set,
)

REPORTING_WORDS = word_set(
    """said says say saying told tells added adds according stated announced disse diz
    dizem afirmou afirma afirmaram declarou declara contou relatou acrescentou informou
    segundo"""
)
"""How a claim is attributed; a summary may say "said" where the article says "told"."""

NOT_CONTENT = ALL_FUNCTION_WORDS | ALL_GROUP_WORDS | REPORTING_WORDS | NUMBER_WORDS | DATE_WORDS
"""Folded words that carry no claim of their own (function words, attributions such as
"officials said", figures and dates, which are anchors): they are never compared."""

_ALGORITHMS = {"en": "english", "pt": "portuguese"}
_STEMMERS = {lang: snowballstemmer.stemmer(name) for lang, name in _ALGORITHMS.items()}
_LOCK = threading.Lock()  # a Snowball stemmer keeps its state between calls


@lru_cache(maxsize=65536)
def stem(word: str, language: str | None) -> str:
    """``word`` (lower case, accents kept) stemmed for ``language`` ("en" or "pt";
    English for any other), then folded."""
    stemmer = _STEMMERS.get(language or "en", _STEMMERS["en"])
    with _LOCK:
        stemmed = stemmer.stemWord(word)
    return fold(stemmed)


def is_content(token: Token) -> bool:
    """A word that says something: not a function, reporting, number or date word."""
    return token.is_word and len(token.folded) > 1 and token.folded not in NOT_CONTENT


def token_stems(token: Token, language: str | None) -> tuple[str, ...]:
    """The stems of a word token, one per part of a hyphenated word ("quarter-final" is
    "quarter" and "final": a summary may write "quarter - final"), a possessive
    ("Silva's") cut off first."""
    return _word_stems(token.raw, language)


@lru_cache(maxsize=65536)
def _word_stems(raw: str, language: str | None) -> tuple[str, ...]:
    word = raw.lower().replace("’", "'").removesuffix("'s").removesuffix("'")
    if "-" not in word:
        return (stem(word, language),)
    parts = [p for p in word.split("-") if len(p) > 1 and fold(p) not in NOT_CONTENT]
    return tuple(stem(p, language) for p in parts)


def content_stems(tokens: list[Token], language: str | None) -> frozenset[str]:
    """The stems of the content words among ``tokens``."""
    return frozenset(s for t in tokens if t.kind == "word" for s in _content_stems(t, language))


def _content_stems(token: Token, language: str | None) -> tuple[str, ...]:
    return _raw_content_stems(token.raw, token.folded, language)


@lru_cache(maxsize=65536)  # an article's words repeat, and so do a newsroom's
def _raw_content_stems(raw: str, folded: str, language: str | None) -> tuple[str, ...]:
    if len(folded) <= 1 or folded in NOT_CONTENT:
        return ()
    return _word_stems(raw, language)
