"""Weekdays and months in English and Portuguese, as language-free ids.

"Tuesday", "terça-feira" and "terça" are all ("weekday", 1), so a summary may name a
day in either form. Words that are also ordinary words are read with care: English
names count only when capitalised ("May" not at a sentence start: it may be the
verb), the Portuguese "segunda", "quarta", "quinta" and "sexta" without "-feira" count
only after "na", "nesta", "próxima"... and before punctuation or a small word ("na
segunda, o prefeito"), not in "pela segunda vez"; "marco" without its cedilla is a
landmark, not March; "Jan." and "Sept." are months when a full stop follows. Years
are figures (see numbers.py) and are checked as dates.
"""

from __future__ import annotations

from newsum.modeling.faithfulness.text import Token

DateId = tuple[str, int]

_EN_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EN_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
              "september", "october", "november", "december")  # fmt: skip
_PT_MONTHS = ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto",
              "setembro", "outubro", "novembro", "dezembro")  # fmt: skip

_ENGLISH: dict[str, DateId] = {
    **{w: ("weekday", i) for i, w in enumerate(_EN_WEEKDAYS)},
    **{m: ("month", i + 1) for i, m in enumerate(_EN_MONTHS)},
}
_EN_ABBREVIATIONS: dict[str, DateId] = {
    **{m[:3]: ("month", i + 1) for i, m in enumerate(_EN_MONTHS) if m != "may"},
    "sept": ("month", 9),
}
"""Counted only when a full stop follows: "Jan. 31", not the name "Jan"."""
_PORTUGUESE: dict[str, DateId] = {
    "segunda-feira": ("weekday", 0), "terça-feira": ("weekday", 1),
    "terca-feira": ("weekday", 1), "terça": ("weekday", 1), "terca": ("weekday", 1),
    "quarta-feira": ("weekday", 2), "quinta-feira": ("weekday", 3),
    "sexta-feira": ("weekday", 4), "sábado": ("weekday", 5), "sabado": ("weekday", 5),
    "domingo": ("weekday", 6),
    **{m: ("month", i + 1) for i, m in enumerate(_PT_MONTHS)},
}  # fmt: skip
_PT_BARE = {"segunda": 0, "quarta": 2, "quinta": 3, "sexta": 4}
_PT_BARE_BEFORE = frozenset(
    ["na", "nesta", "nessa", "desta", "dessa", "esta", "essa", "ate", "proxima", "ultima",
     "passada", "de"]
)  # fmt: skip
_PT_BARE_AFTER = frozenset(
    ["em", "no", "na", "de", "do", "da", "a", "o", "as", "os", "e", "que", "pela", "pelo", "ao"]
)

DATE_WORDS = frozenset(_ENGLISH) | frozenset(_PORTUGUESE) | frozenset(_PT_BARE)
"""Lower-cased date words; the name check leaves them to this one."""
NOT_NAMES = DATE_WORDS | frozenset(_EN_ABBREVIATIONS)
"""Capitalised words the name check skips ("Jan" is more often January than a person)."""


def _bare_weekday(tokens: list[Token], i: int) -> DateId | None:
    """A bare "segunda"/"quinta"... that reads as a weekday in its context, else None."""
    day = _PT_BARE.get(tokens[i].raw.lower())
    if day is None or i == 0 or tokens[i - 1].folded not in _PT_BARE_BEFORE:
        return None
    after = tokens[i + 1] if i + 1 < len(tokens) else None
    if after is None or not after.is_word or after.folded in _PT_BARE_AFTER:
        return ("weekday", day)
    return None


def _next_is_stop(tokens: list[Token], i: int, mark: str) -> bool:
    return i + 1 < len(tokens) and tokens[i + 1].raw == mark


def date_mentions(tokens: list[Token]) -> list[tuple[str, DateId]]:
    """(word as written, id) for every weekday and month named in ``tokens``."""
    return [(tokens[i].raw, date) for i, date in date_positions(tokens)]


def date_positions(tokens: list[Token]) -> list[tuple[int, DateId]]:
    """(position in ``tokens``, id) for every weekday and month named in ``tokens``."""
    found: list[tuple[int, DateId]] = []
    for i, token in enumerate(tokens):
        if token.kind != "word":
            continue
        lower = token.raw.lower()
        if lower in _EN_ABBREVIATIONS and token.capitalised and _next_is_stop(tokens, i, "."):
            found.append((i, _EN_ABBREVIATIONS[lower]))
        if lower not in DATE_WORDS:
            continue
        date = _PORTUGUESE.get(lower)
        if date is None and lower in _PT_BARE:
            date = _bare_weekday(tokens, i)
        english = token.capitalised and not (lower == "may" and token.sentence_initial)
        if date is None and english:
            date = _ENGLISH.get(lower)
        if date is not None:
            found.append((i, date))
    return found
