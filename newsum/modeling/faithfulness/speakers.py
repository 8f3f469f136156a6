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

from collections.abc import Iterator

from newsum.modeling.faithfulness.names import name_spans
from newsum.modeling.faithfulness.passages import PassageIndex
from newsum.modeling.faithfulness.people import People
from newsum.modeling.faithfulness.quotes import normalize_for_quotes, quote_spans
from newsum.modeling.faithfulness.sentences import split_sentences
from newsum.modeling.faithfulness.stems import REPORTING_WORDS
from newsum.modeling.faithfulness.text import Token, tokens
from newsum.modeling.faithfulness.verdict import Finding, FindingKind

_PROBE = 40  # characters of a quote that find it in the article
_MIN_QUOTE = 12  # shorter quotes ("'delighted'") are words, not someone's speech


def _quotes(text: str, start: int, end: int) -> Iterator[tuple[int, int, str]]:
    for found in quote_spans(text, start, end):
        if len(found[2]) >= _MIN_QUOTE:
            yield found


def _speakers(part: list[Token], inside: list[tuple[int, int, str]], people: People) -> set[str]:
    """The persons a sentence (``part``, its quotes at ``inside``) names outside its
    quotes beside a reporting word or a colon ("Reed said", "Reed: ", "told Reed")."""
    found = set()
    for span in name_spans(part):
        if any(a <= part[span.start].start < b for a, b, _ in inside):
            continue
        key = people.key(span.name.words)
        near = part[max(span.start - 2, 0) : span.start] + part[span.end : span.end + 3]
        if key and any(t.folded in REPORTING_WORDS or t.raw == ":" for t in near):
            found.add(key)
    return found


def _sentence_speakers(passages: PassageIndex, number: int) -> set[str]:
    text = passages.quote(passages.sentences[number])
    return _speakers(tokens(text), quote_spans(text), passages.people)


def _article_speakers(probe: str, passages: PassageIndex) -> tuple[set[str], str] | None:
    """Who the article has say the quote that ``probe`` begins (in its sentence, else a
    "he said" there goes back to the sentence before, else the sentence before or after
    that introduces it), and that sentence; None when no sentence holds it or no one
    is said to speak."""
    sentences = passages.sentences
    for number, sentence in enumerate(sentences):
        if probe not in normalize_for_quotes(passages.quote(sentence)):
            continue
        evidence = passages.quote(sentence)
        own = _sentence_speakers(passages, number)
        if own:
            return own, evidence
        before = number - 1
        if before >= 0 and sentence.pronoun and not sentence.persons:
            return set(sentences[before].persons) or None, evidence
        around = [n for n in (before, number + 1) if 0 <= n < len(sentences)]
        named = set().union(*(_sentence_speakers(passages, n) for n in around))
        return (named, evidence) if named else None
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
        speakers = _speakers(part, inside, passages.people)
        if not speakers:
            continue
        for _, _, quote in inside:
            probe = normalize_for_quotes(quote)[:_PROBE].strip(" .,;:!?")
            where = _article_speakers(probe, passages)
            if where is None:
                continue
            named, evidence = where
            if speakers.isdisjoint(named):
                found.append(Finding(FindingKind.WRONG_SPEAKER, quote, evidence))
    return found
