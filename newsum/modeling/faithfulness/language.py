"""English or Portuguese? A function-word count, decided only when it is clear.

newsum serves two languages, and telling them apart needs no model: each writes a
handful of short words constantly ("the", "of", "and" / "o", "de", "que", "em") that
the other never uses. The stop-word list of each language, less the words both share
("a", "as", "no", "do"...), is its profile; a summary is in the language whose profile
it matches at least three times and at least twice as often as the other's (plus one).
Capitalised words inside a sentence and the small words between them are skipped, so
"Rio de Janeiro" in an English summary is not Portuguese evidence. Anything less clear
is undecided, and an undecided summary (a list of names, a few words) is never flagged.

Why not a package: langdetect samples at random (nondeterministic unless seeded
globally), fastText-based detectors need a model file downloaded, and lingua ships
models for dozens of languages whose loading costs memory and start-up time in every
worker, all to answer a two-way question that these word lists answer in
microseconds, offline and deterministically.
"""

from __future__ import annotations

from newsum.modeling.faithfulness.text import STOP_WORDS, Token

_SHARED = STOP_WORDS["en"] & STOP_WORDS["pt"]
_PROFILES = {lang: words - _SHARED for lang, words in STOP_WORDS.items()}
_MIN_HITS = 3


def _evidence(tokens: list[Token]) -> list[str]:
    """Folded words that may be function words: not names, nor connectors inside names."""
    words = [t for t in tokens if t.is_word]
    kept = []
    for i, token in enumerate(words):
        if token.capitalised and not token.sentence_initial:
            continue  # part of a name: "São" in "São Paulo" says nothing of the language
        after_name = i > 0 and words[i - 1].capitalised
        before_name = i + 1 < len(words) and words[i + 1].capitalised
        if not (after_name and before_name):
            kept.append(token.folded)
    return kept


def _hits(tokens: list[Token]) -> tuple[str, int, int]:
    """The language with more profile hits, its hits and the other's."""
    evidence = _evidence(tokens)
    hits = {lang: sum(w in profile for w in evidence) for lang, profile in _PROFILES.items()}
    best, other = sorted(hits, key=hits.__getitem__, reverse=True)
    return best, hits[best], hits[other]


def detect_language(tokens: list[Token]) -> str | None:
    """The language ("en" or "pt") the text is clearly written in, else None."""
    best, hits, other = _hits(tokens)
    return best if hits >= _MIN_HITS and hits >= 2 * other + 1 else None


def leaning(tokens: list[Token]) -> str | None:
    """The language whose function words the text uses more, even a few ("the council
    voted on Tuesday"); None on a tie."""
    best, hits, other = _hits(tokens)
    return best if hits > other else None
