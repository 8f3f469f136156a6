"""An article's dateline and byline: where and when it was filed, and who wrote it.

Wire copy opens with a dateline ("LISBON, Portugal (AP) --", "Recife (AP)", "SÃO PAULO,
3 de março (Reuters) -"), and features with a byline ("By Ana Souza", "Por Ana
Souza"). What they say holds for the whole article: a summary may place or date any
of its sentences by them, and name the author ("Souza writes that ..."), though no
sentence of the body repeats it. The prefix is its own passage, so that it does not
join the first sentence, and its names and days are the article's setting.
"""

from __future__ import annotations

import re

_DATELINE = re.compile(
    r"\A\s*(?:[^\W\d_][^()\n]{0,60}?\s*)?"  # the place (and day), if any
    r"\((?:[A-Z][\w.&'’-]*)(?:\s+[A-Z][\w.&'’-]*){0,3}\)"  # the agency: "(AP)", "(Reuters)"
    r"\s*(?:--|—|–|-)?\s*"
)
_BYLINE = re.compile(
    r"\A\s*(?:By|Por|by|por)\s+\.?\s*"
    r"(?:[A-Z][\w'’-]+)(?:\s+(?:[A-Z][\w'’-]+|de|da|do|dos|das|and|e))*"
    r"\s*(?:\.\s+|\n|,\s*|\s+(?=[A-Z]))"
)


def prefix_end(text: str) -> int:
    """Where the dateline or byline that opens ``text`` ends (0 when there is none)."""
    for pattern in (_BYLINE, _DATELINE):
        match = pattern.match(text)
        if match and match.end() < len(text) and _opens_sentence(text[match.end()]):
            return match.end()
    return 0


def _opens_sentence(char: str) -> bool:
    """ "(AP)The port": the body starts; "The council (AP) voted": no dateline."""
    return char.isupper() or char in "\"“‘'«"
