"""Quotes attributed to the right speaker.

A quotation the article holds word for word can still be put in the wrong mouth:
"Reed said: 'We will appeal'" when the article has Shaw say it. The summary's speaker
of a quote is the person it names outside the quote in the same sentence, beside a
reporting word or a colon ("Reed said", "Reed: '...'", "..., Reed told the BBC"); the
article's speaker is the person named in the sentence where the quote begins, or in
the one before it (a quote often runs on from "Shaw said:") or after it, the person a
"he" or "she" there goes back to included. The quote is misattributed when the
article names its speakers there and the summary's is not one of them; where the
article names no one near the quote, nothing is judged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from newsum.modeling.faithfulness.names import name_spans
from newsum.modeling.faithfulness.passages import PassageIndex
from newsum.modeling.faithfulness.quotes import normalize_for_quotes
from newsum.modeling.faithfulness.sentences import split_sentences
from newsum.modeling.faithfulness.stems import REPORTING_WORDS
from newsum.modeling.faithfulness.text import Token
from newsum.modeling.faithfulness.verdict import Finding, FindingKind

_QUOTED = re.compile(r"“[^”]+”|\"[^\"\n]+\"|«[^»]+»|‘[^’\n]+’")
_PROBE = 40  # characters of a quote that find it in the article
_MIN_QUOTE = 12  # shorter quotes ("'heartbroken'") are words, not someone's speech


def _quotes(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    for match in _QUOTED.finditer(text, start, end):
        if match.end() - match.start() - 2 >= _MIN_QUOTE:
            yield match.start(), match.end()


def _speakers(part: list[Token], inside: list[tuple[int, int]], passages: PassageIndex) -> set[str]:
    """The persons a summary sentence (``part``) names outside its quotes (at
    ``inside``) beside a reporting word or a colon."""
    people = passages.people
    found = set()
    for span in name_spans(part):
        if any(a <= part[span.start].start < b for a, b in inside):
            continue
        key = people.key(span.name.words)
        near = part[max(span.start - 2, 0) : span.start] + part[span.end : span.end + 3]
        if key and any(t.folded in REPORTING_WORDS or t.raw == ":" for t in near):
            found.add(key)
    return found


def _article_speakers(probe: str, passages: PassageIndex) -> tuple[set[str], str] | None:
    """The persons named where the article has the quote that ``probe`` begins, and
    that sentence; None when the article's sentences do not hold it."""
    sentences = passages.sentences
    for number, sentence in enumerate(sentences):
        if probe not in normalize_for_quotes(passages.quote(sentence)):
            continue
        window = sentences[max(number - 1, 0) : number + 2]
        named = set().union(*(s.persons for s in window))
        if sentence.pronoun and number > 0 and not sentence.persons:
            named |= sentences[number - 1].persons
        return named, passages.quote(sentence)
    return None


def speaker_findings(
    summary: str, summary_tokens: list[Token], passages: PassageIndex
) -> list[Finding]:
    """A ``wrong_speaker`` finding for each quote the summary gives a person that the
    article has someone else say; the value is the quote, the evidence the article's
    sentence with it."""
    found = []
    for sentence in split_sentences(summary_tokens):
        inside = list(_quotes(summary, sentence.start, sentence.end))
        if not inside:
            continue
        part = summary_tokens[sentence.first : sentence.last]
        speakers = _speakers(part, inside, passages)
        if not speakers:
            continue
        for start, end in inside:
            quote = summary[start + 1 : end - 1].strip()
            probe = normalize_for_quotes(quote)[:_PROBE].strip(" .,;:!?")
            where = _article_speakers(probe, passages)
            if where is None or not where[0]:
                continue
            named, evidence = where
            if speakers.isdisjoint(named):
                found.append(Finding(FindingKind.WRONG_SPEAKER, quote, evidence))
    return found
