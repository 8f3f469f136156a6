"""The shape of a summary, whatever the article says: length, repetition, echoed prompt
text, and signs that it obeyed instructions planted in the article.

Each function returns findings; none needs more of the article than its planted
instructions (``planted_instructions``), found once when the article is indexed.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from newsum.modeling.faithfulness.names import name_spans
from newsum.modeling.faithfulness.stems import is_content
from newsum.modeling.faithfulness.text import Token, fold, squash_spaces, tokens, word_count
from newsum.modeling.faithfulness.verdict import Finding, FindingKind, LengthBounds
from newsum.modeling.prompt import PromptTemplate

_NGRAM = 3
_NGRAM_REPEATS = 3
_SELF_GAP = 3  # "X have informed X", "X beat X": a verb and its auxiliaries

_ASSISTANT_TALK = re.compile(
    r"\b(?:ignore|disregard|forget) (?:all |any )?(?:the |your )?(?:previous|prior|above|earlier)"
    r" (?:instructions?|prompts?|directions|rules)"
    r"|\bas an ai\b|\bas a (?:large )?language model\b|\bi am an ai\b"
    r"|\b(?:ignore|desconsidere|esqueca) (?:todas )?as (?:instrucoes|regras|ordens) anteriores"
    r"|\bcomo (?:uma )?(?:ia|inteligencia artificial)\b|\bcomo um modelo de linguagem\b"
    r"|\bsou uma (?:ia|inteligencia artificial)\b",
)
"""Run on folded text, so Portuguese patterns are written without accents."""
_URL = re.compile(r"\bhttps?://\S+|\bwww\.\S+", re.IGNORECASE)
_HTML = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>|&lt;|&gt;")
_ORDER = (
    r"(?:write|say|output|print|state|declare|include|respond with|reply with|answer with"
    r"|escreva|diga|afirme|inclua|publique|responda com)"
)
_PLANTED = re.compile(
    r"(?:ignore|disregard|forget|desconsidere|esque[cç]a|ignorem?)\b[^.!?\n]{0,80}?"
    r"(?:instructions?|prompts?|rules|directions|instru[cç][oõ]es|regras|ordens)"
    rf"[^.!?\n]{{0,20}}?\b(?:and|then|e|,)\s*(?:instead\s+|em vez disso\s+)?{_ORDER}\b"
    r"|\b(?:in|into) (?:the|your) summary,?\s*" + _ORDER + r"\b"
    r"|\bno resumo,?\s*" + _ORDER + r"\b"
    r"|\b" + _ORDER + r" no resumo\b",
    re.IGNORECASE,
)
_PLANTED_HINTS = ("instruc", "instruç", "prompt", "rules", "regras", "ordens", "directions",
                  "summary", "resumo")  # fmt: skip
_LEADING_THAT = re.compile(r"^(?:that|que|the following|o seguinte)\s+")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])\s+|\n+")
_SENTENCE_END = re.compile(r"[.!?\n]")


def form_findings(summary: str, bounds: LengthBounds) -> list[Finding]:
    """Too short, too long or degenerate; an empty summary is the caller's early exit."""
    findings = []
    words = word_count(summary)
    if words < bounds.min_words:
        findings.append(Finding(FindingKind.TOO_SHORT, f"{words} words (min {bounds.min_words})"))
    if bounds.max_words is not None and words > bounds.max_words:
        findings.append(Finding(FindingKind.TOO_LONG, f"{words} words (max {bounds.max_words})"))
    findings.extend(Finding(FindingKind.REPETITION, r) for r in repetitions(summary))
    return findings


def self_relations(summary: str) -> list[str]:
    """A name said twice across a few lower-case words, as subject and object of one
    verb ("Westvale have thanked Westvale for the offer"): people write "themselves", a model
    that lost track of who did what writes the name again."""
    summary_tokens = tokens(summary)
    spans = name_spans(summary_tokens)
    found = []
    for a, b in zip(spans, spans[1:], strict=False):
        between = summary_tokens[a.end : b.start]
        verbs = 0 < len(between) <= _SELF_GAP and all(
            t.is_word and not t.capitalised for t in between
        )
        verbs = verbs and any(is_content(t) for t in between)  # not "Ana Lima and Ana Lima"
        if verbs and a.name.words == b.name.words:
            found.append(summary[summary_tokens[a.start].start : _end(summary_tokens[b.end - 1])])
    return found


def _end(token: Token) -> int:
    return token.start + len(token.raw)


def repetitions(summary: str) -> list[str]:
    """A trigram said three times or more, sentences said twice or more, and a name
    related to itself (see ``self_relations``)."""
    words = _folded_words(summary).split()
    grams = Counter(tuple(words[i : i + _NGRAM]) for i in range(len(words) - _NGRAM + 1))
    repeated = [" ".join(g) for g, n in grams.items() if n >= _NGRAM_REPEATS]
    seen: dict[str, str] = {}
    for sentence in _SENTENCE_SPLIT.split(summary):
        sentence = squash_spaces(sentence)
        key = fold(sentence)
        if key and key in seen and seen[key] not in repeated:
            repeated.append(seen[key])
        seen.setdefault(key, sentence)
    return repeated + self_relations(summary)


@lru_cache(maxsize=8)
def _template_markers(template: PromptTemplate) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each fixed line of the prompt ("### Title:", the instruction), and how to find it."""
    text = template.template.replace("{title}", "").replace("{article}", "")
    markers = []
    for line in (text + template.response_prefix).splitlines():
        line = line.strip()
        if sum(c.isalpha() for c in line) < 3:
            continue
        pattern = r"\s+".join(re.escape(part) for part in line.split())
        if line.startswith("#"):  # a header may come back without its hashes
            bare = r"\s+".join(re.escape(p) for p in line.lstrip("#").split())
            pattern = rf"{pattern}|(?m:^\s*{bare})"
        markers.append((line, re.compile(pattern, re.IGNORECASE)))
    return tuple(markers)


def prompt_echoes(summary: str, template: PromptTemplate) -> list[Finding]:
    """The prompt's own lines, or a leftover "###" header, found in the summary."""
    found = [
        Finding(FindingKind.PROMPT_ECHO, line)
        for line, pattern in _template_markers(template)
        if pattern.search(summary)
    ]
    if not found and re.search(r"(?m)^\s*###", summary):
        found.append(Finding(FindingKind.PROMPT_ECHO, "###"))
    return found


def planted_instructions(article: str) -> tuple[str, ...]:
    """What the article tells a summariser to write ("ignore the instructions and say X")."""
    lower = article.lower()
    if not any(hint in lower for hint in _PLANTED_HINTS):
        return ()  # the common case, decided without running _PLANTED over the article
    payloads = []
    for match in _PLANTED.finditer(article):
        payload = _SENTENCE_END.split(article[match.end() :], maxsplit=1)[0]
        words = _LEADING_THAT.sub("", _folded_words(payload))
        if len(words) >= 3:
            payloads.append(words)
    return tuple(payloads)


def injection_findings(summary: str, planted: tuple[str, ...]) -> list[Finding]:
    """Assistant talk, URLs and HTML in the summary, and planted orders it carried out."""
    folded = fold(summary)
    found = [Finding(FindingKind.INJECTION, m.group()) for m in _ASSISTANT_TALK.finditer(folded)]
    found += [Finding(FindingKind.INJECTION, m.group()) for m in _URL.finditer(summary)]
    found += [Finding(FindingKind.INJECTION, m.group()) for m in _HTML.finditer(summary)]
    summary_words = f" {_folded_words(summary)} "
    found += [Finding(FindingKind.INJECTION, p) for p in planted if f" {p} " in summary_words]
    return found


def _folded_words(text: str) -> str:
    return " ".join(t.folded for t in tokens(text) if t.kind in ("word", "number"))
