"""Who did it to whom: a deed the article tells in the passive, told in the active.

"The swimmer was denied a lane" and "Ana denied a lane" hold the same words; only the
voice says that Ana was the one denied. A summary sentence that puts a person's
name right before a past-tense verb ("Ana refused", "Reed sacked") says that person
did it; when the passage that supports the sentence uses that verb only after "was",
"were", "been"... (the person, or someone, had it done to them), the summary has
turned who did what around. English only: Portuguese writes the passive with another
form of the verb ("foi recusada"), which the word checks already tell apart.
"""

from __future__ import annotations

from newsum.modeling.faithfulness.names import NameSpan
from newsum.modeling.faithfulness.text import Token, tokens, word_set

_PASSIVE = word_set("was were been being be is are get got gets getting")
_DETERMINERS = word_set("a an the his her their its our my this that these those")
_BETWEEN = word_set("not never also then later yet already just still since again")
"""Words that stand between the auxiliary and the verb: "was later refused"."""


def active_deeds(part: list[Token], spans: list[NameSpan]) -> list[str]:
    """The past-tense verbs (folded) that follow a name directly in ``part`` and take an
    object ("Ana denied a lane", "Reed sacked the coach"): what the sentence says its
    people did. One followed by a preposition is a headline's passive ("Reed jailed
    for ...", "Club embroiled in ...")."""
    deeds = []
    for span in spans:
        after = part[span.end : span.end + 2]
        if len(after) == 2 and after[0].is_word and _past(after[0]) and _object(after[1]):
            deeds.append(after[0].folded)
    return deeds


def _object(token: Token) -> bool:
    return token.kind == "number" or token.capitalised or token.folded in _DETERMINERS


def _past(token: Token) -> bool:
    return not token.capitalised and len(token.folded) > 4 and token.folded.endswith("ed")


def only_passive(deed: str, passage_text: str) -> bool:
    """Whether ``passage_text`` uses the verb ``deed`` and only in the passive."""
    found = tokens(passage_text)
    uses = [i for i, t in enumerate(found) if t.is_word and t.folded == deed]
    return bool(uses) and all(_after_auxiliary(found, i) for i in uses)


def _between(token: Token) -> bool:
    return token.folded in _BETWEEN or token.folded.endswith("ly")


def _after_auxiliary(found: list[Token], i: int) -> bool:
    j = i - 1
    while j >= 0 and found[j].is_word and _between(found[j]):
        j -= 1
    return j >= 0 and found[j].is_word and found[j].folded in _PASSIVE
