"""Words a summary may not use: neither the article's nor a word of its language.

A model that copies badly writes words no one writes ("quintaência", a weekday with a
suffix) or slips into the other language ("Inclua em Vila closely"). A lower-case word
of a summary is accepted when the article has it (folded: case and accents aside), when
it writes a figure or a date in either language (the figure and date checks read both),
or when the article's language lists it as its own (see ``lexicon``). Capitalised words
are names, left to the name check; so are the small words inside a name ("Rio de
Janeiro" in English). For an article of unknown language only words that neither
language lists are held.

Another inflection of an article word is accepted through the word lists, which hold
inflections, not through stems: a stem would also accept "segundamento" for an
article that says "segundos".
"""

from __future__ import annotations

from newsum.modeling.faithfulness.dates import DATE_WORDS
from newsum.modeling.faithfulness.lexicon import LANGUAGES, Standing, standing
from newsum.modeling.faithfulness.numbers import NUMBER_WORDS
from newsum.modeling.faithfulness.text import Token

_ALWAYS_READ = NUMBER_WORDS | DATE_WORDS | frozenset({"um", "uma", "one"})


def _candidate(token: Token) -> bool:
    return token.is_word and not token.capitalised and token.folded not in _ALWAYS_READ


def invented_words(
    tokens: list[Token],
    in_names: set[int],
    vocabulary: frozenset[str],
    declared: str | None,
) -> list[Token]:
    """The words of ``tokens`` (one summary sentence) that are neither the article's
    (``vocabulary``: its folded words) nor of the article's ``declared`` language;
    ``in_names`` are the positions of tokens inside names."""
    found = []
    for i, token in enumerate(tokens):
        if i in in_names or not _candidate(token):
            continue
        if token.folded in vocabulary:
            continue
        word = token.raw.lower().replace("’", "'").removesuffix("'s")
        if declared is None:
            if all(standing(word, language) is Standing.UNKNOWN for language in LANGUAGES):
                found.append(token)
        elif standing(word, declared) is not Standing.WORD:
            found.append(token)
    return found
