"""Is a word English, Portuguese, or neither? From wordfreq's word lists.

wordfreq (3.x) ships, inside the package, word frequencies for English and
Portuguese gathered from many sources (Wikipedia, subtitles, news, books, the web):
some 300,000 words each, inflections included, loaded offline in a tenth of a second
and kept for the life of the process. A frequency list, not a spelling dictionary, is
what this check needs: it tells a word of the language from one that merely appears
in its texts, which a yes/no dictionary cannot. Hunspell dictionaries would need a
system library and affix expansion, and still give only yes or no.

A word stands in three ways:

- a *word* of the language;
- *foreign*: much more frequent in the other language and rare in this one. The
  Portuguese list, drawn partly from the web, holds common English words up to a
  Zipf frequency of about 4 ("week" 3.7), while English holds Portuguese words only
  rarely above 3 ("tempo" 3.7 is English too), hence a ceiling for each; words both
  languages use ("show", "festival", "hospital", "real") pass;
- *unknown*: in neither list ("terçaência"): invented, or mangled.

A function word of the other language ("the" in Portuguese, "que" in English) is
foreign whenever it is far more frequent there, whatever this language's list says:
function words are so frequent at home that no list's borrowings come near.
"""

from __future__ import annotations

import math
from enum import Enum
from functools import lru_cache

import wordfreq

from newsum.modeling.faithfulness.text import FUNCTION_WORDS, fold

_MIN_ZIPF = 1.0  # the lists stop here: rarer than once in a hundred million words
_FOREIGN_MARGIN = 1.5
_FOREIGN_CEILING = {"en": 3.0, "pt": 4.0}
_OTHER = {"en": "pt", "pt": "en"}
LANGUAGES = tuple(_OTHER)
"""The languages whose word lists this module reads."""


class Standing(Enum):
    """How a word stands to a language."""

    WORD = "word"
    FOREIGN = "foreign"
    UNKNOWN = "unknown"


@lru_cache(maxsize=2)
def _frequencies(language: str) -> dict[str, float]:
    return wordfreq.get_frequency_dict(language, wordlist="large")


def zipf(word: str, language: str) -> float:
    """``word``'s Zipf frequency in ``language`` (log10 per billion words); 0 if unlisted."""
    frequency = _frequencies(language).get(word)
    return math.log10(frequency) + 9 if frequency else 0.0


@lru_cache(maxsize=65536)
def standing(word: str, language: str) -> Standing:
    """How ``word`` (lower case, accents kept) stands to ``language`` ("en" or "pt").

    A hyphenated word not listed whole is judged by its parts of four letters or more
    ("pré-temporada", "well-known").
    """
    if "-" in word and word not in _frequencies(language):
        parts = [p for p in word.split("-") if len(p) >= 4]
        kinds = [standing(p, language) for p in parts]
        return next((k for k in kinds if k is not Standing.WORD), Standing.WORD)
    other_language = _OTHER[language]
    own, other = zipf(word, language), zipf(word, other_language)
    folded = fold(word)
    theirs = folded in FUNCTION_WORDS[other_language] and folded not in FUNCTION_WORDS[language]
    ceiling = math.inf if theirs else _FOREIGN_CEILING[language]
    if own < ceiling and other >= own + _FOREIGN_MARGIN:
        return Standing.FOREIGN
    return Standing.WORD if own >= _MIN_ZIPF else Standing.UNKNOWN
