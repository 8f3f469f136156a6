"""Reference summaries made false on purpose, to measure what the faithfulness check holds.

Each kind changes one fact of a synthetic article's reference summary the way a model
that copies badly does: the article's other person in place of its subject, the other
person's role, another weekday, the figure counting another thing, an invented word,
a word of the other language. The truth comes from the article's fact record, never
from the check::

    rng = random.Random(0)
    false_summary = corrupt(item, "person", rng)  # None where the kind does not apply

Used by the corruption test (tests/modeling/test_corruption.py) and by benchmarks.
"""

from __future__ import annotations

import random
import re

from newsum.modeling.faithfulness.text import word_set
from newsum.sandbox.corpus import NewsItem
from newsum.sandbox.corpus_text import LANGUAGE_TEXT

CORRUPTIONS = ("person", "role", "day", "figure", "invented", "mixed")
"""Every kind ``corrupt`` knows, in the order reports list them."""

_COUNTED = {
    "en": ["votes", "jobs", "fans", "films", "paintings", "volunteers", "homes", "seasons",
           "goals", "minutes", "days", "lines", "tonnes", "kilometres", "dollars", "people"],
    "pt": ["votos", "empregos", "torcedores", "filmes", "pinturas", "voluntários", "casas",
           "temporadas", "gols", "minutos", "dias", "linhas", "toneladas", "quilômetros",
           "reais", "pessoas"],
}  # fmt: skip
"""Things a figure of the corpus counts, one of which the corrupted figure will count."""
_BEFORE_NOUN = word_set("million thousand mil milhões de new novas novos square percent por cento")
_SUFFIXES = {"en": ["ence", "ly", "ness", "ation"], "pt": ["ência", "ly", "ção", "mento"]}
_FOREIGN = {
    # Words of the other language, none of them a word of this one.
    "pt": ["closely", "quickly", "yesterday", "however", "promised", "welcomed", "weather",
           "morning", "although", "reporters", "without", "meanwhile", "during", "council",
           "against", "because"],
    "en": ["também", "ontem", "prometeu", "semana", "cidade", "notícia", "reunião",
           "depois", "porém", "governo", "durante", "ainda", "muito", "sobre", "então",
           "jornalistas"],
}  # fmt: skip


_WORD = re.compile(r"(?<![\w-])[^\W\d_]+(?![\w-])")
"""A word that is not part of a hyphenated one ("segunda" in "segunda-feira")."""


def _language(item: NewsItem) -> str:
    return "pt" if item.language.startswith("pt") else "en"


def _replace_word(text: str, old: str, new: str) -> str | None:
    """``text`` with the first whole-word ``old`` replaced by ``new``; None if absent."""
    pattern = re.compile(rf"(?<!\w){re.escape(old)}(?!\w)")
    if not pattern.search(text):
        return None
    return pattern.sub(new, text, count=1)


def _person(item: NewsItem, rng: random.Random) -> str | None:
    """The article's other person in the subject's place, keeping the subject's role or,
    half the time, without any role ("Ruth Shaw signed a new contract ...")."""
    facts = item.facts
    summary = item.summary
    if rng.random() < 0.5:
        for apposition in (f", the {facts.role},", f"the {facts.role} ", f", {facts.role},"):
            summary = summary.replace(apposition, "", 1)
    swapped = _replace_word(summary, facts.name, facts.other_name)
    if swapped is None:
        return _replace_word(summary, facts.surname, facts.other_name.split()[-1])
    return swapped


def _role(item: NewsItem, rng: random.Random) -> str | None:
    return _replace_word(item.summary, item.facts.role, item.facts.other_role)


def _day(item: NewsItem, rng: random.Random) -> str | None:
    weekdays = [d for d in LANGUAGE_TEXT[item.language].weekdays if d != item.facts.weekday]
    return _replace_word(item.summary, item.facts.weekday, rng.choice(weekdays))


def _figure(item: NewsItem, rng: random.Random) -> str | None:
    """The figure counts another thing: the noun after it changes, or (for a percentage,
    or by chance) the whole figure sentence is another event's, with this figure."""
    language = _language(item)
    figure = str(item.facts.figure)
    match = re.search(rf"(?<!\w){figure}(?!\w)((?:\s+\w+)+)", item.summary)
    words = match.group(1).split() if match else []
    nouns = [w for w in words if w.lower() not in _BEFORE_NOUN]
    if nouns and "percent" not in words and "por" not in words and rng.random() < 0.5:
        noun = nouns[0]
        other = rng.choice([n for n in _COUNTED[language] if n != noun.lower()])
        start = match.start(1) if match else 0
        head, tail = item.summary[:start], item.summary[start:]
        return head + (_replace_word(tail, noun, other) or tail)
    events = [e for section in LANGUAGE_TEXT[item.language].events.values() for e in section]
    others = [e for e in events if e.detail_sentence != item.facts.event.detail_sentence]
    own = item.facts.event.detail_sentence.format(figure=item.facts.figure)
    moved = rng.choice(others).detail_sentence.format(figure=item.facts.figure)
    return item.summary.replace(own, moved) if own in item.summary else None


def _invented(item: NewsItem, rng: random.Random) -> str | None:
    """A weekday with a suffix ("nesta quintaência"), or a word of the summary with its
    second half written backwards ("festival" -> "festlavi")."""
    day_word = item.facts.weekday.split()[-1]
    if rng.random() < 0.5:
        stem = day_word.split("-")[0].lower()
        return _replace_word(item.summary, day_word, stem + rng.choice(_SUFFIXES[_language(item)]))
    words = [w for w in _WORD.findall(item.summary) if w.islower() and len(w) >= 6]
    if not words:
        return None
    word = rng.choice(words)
    half = len(word) // 2
    return _replace_word(item.summary, word, word[:half] + word[half:][::-1])


def _mixed(item: NewsItem, rng: random.Random) -> str | None:
    """A word of the summary replaced by a word of the other language."""
    words = [w for w in _WORD.findall(item.summary) if w.islower() and len(w) >= 4]
    day = item.facts.weekday.split()[-1]
    words = [w for w in words if w != day]
    if not words:
        return None
    return _replace_word(item.summary, rng.choice(words), rng.choice(_FOREIGN[_language(item)]))


_MAKERS = {
    "person": _person,
    "role": _role,
    "day": _day,
    "figure": _figure,
    "invented": _invented,
    "mixed": _mixed,
}


def corrupt(item: NewsItem, kind: str, rng: random.Random) -> str | None:
    """``item``'s reference summary with one fact made false in the way ``kind`` names
    (one of ``CORRUPTIONS``); None where the summary has no such fact to change.
    Raises ValueError for an unknown kind."""
    if kind not in _MAKERS:
        raise ValueError(f"unknown corruption {kind!r}; known: {', '.join(CORRUPTIONS)}")
    corrupted = _MAKERS[kind](item, rng)
    return corrupted if corrupted != item.summary else None
