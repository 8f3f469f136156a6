"""The findings of a summary's claims (see ``relations``): wrong roles and speakers,
figures that count something else, invented or foreign words, and who did what.

Every finding of a sentence carries the passage that best supports that sentence (or,
for a role or a figure, the article sentence that shows the right one), and the
word-level findings get it too when that passage holds one of the sentence's facts. A
sentence that a more precise finding already holds gets no ``unsupported_relation`` as
well: the editor sees the most precise reason first.
"""

from __future__ import annotations

from dataclasses import replace

from newsum.modeling.faithfulness.figure_context import figure_context_findings
from newsum.modeling.faithfulness.names import name_spans
from newsum.modeling.faithfulness.relations import Claim, RelationIndex
from newsum.modeling.faithfulness.roles import role_findings
from newsum.modeling.faithfulness.speakers import speaker_findings
from newsum.modeling.faithfulness.text import Token
from newsum.modeling.faithfulness.verdict import Finding, FindingKind
from newsum.modeling.faithfulness.words import invented_words

_FACT_KINDS = frozenset(
    {
        FindingKind.INVENTED_WORD, FindingKind.UNSUPPORTED_NUMBER, FindingKind.UNSUPPORTED_DATE,
        FindingKind.UNSUPPORTED_NAME, FindingKind.UNSUPPORTED_QUOTE, FindingKind.WRONG_ROLE,
        FindingKind.WRONG_SPEAKER, FindingKind.FIGURE_CONTEXT,
    }
)  # fmt: skip
"""Kinds that say what is wrong with a sentence's facts."""


def fact_findings(
    summary: str,
    summary_tokens: list[Token],
    found: list[Claim],
    index: RelationIndex,
    *,
    check_words: bool = True,
) -> list[Finding]:
    """Wrong roles and speakers, figures that count something else, and invented or
    foreign words (unless ``check_words`` is off: a summary in the other language is
    one finding)."""
    language = index.language
    results = role_findings(summary, summary_tokens, index.roles, index.passages, language)
    results += speaker_findings(summary, summary_tokens, index.passages)
    for claim in found:
        sentence = claim.sentence
        part = summary_tokens[sentence.first : sentence.last]
        results += figure_context_findings(
            summary, part, sentence, index.figures, index.passages, language
        )
        if not check_words:
            continue
        in_names = {i for s in name_spans(part) for i in range(s.start, s.end)}
        evidence = _evidence(claim, index)
        results += [
            Finding(FindingKind.INVENTED_WORD, token.raw, evidence)
            for token in invented_words(part, in_names, index.vocabulary, index.declared)
        ]
    return results


def relation_findings(
    summary: str, found: list[Claim], index: RelationIndex, prior: list[Finding]
) -> list[Finding]:
    """An ``unsupported_relation`` for each unsupported sentence that no finding in
    ``prior`` already explains; the value is the sentence, the evidence its best passage."""
    explained = {_sentence_of(f.value, summary, found) for f in prior if f.kind in _FACT_KINDS}
    return [
        Finding(
            FindingKind.UNSUPPORTED_RELATION,
            claim.sentence.text(summary).strip(),
            _evidence(claim, index),
        )
        for number, claim in enumerate(found)
        if not claim.supported and number not in explained
    ]


def with_evidence(
    findings: list[Finding], summary: str, found: list[Claim], index: RelationIndex
) -> list[Finding]:
    """``findings`` (the word-level ones) with, where they have none, the passage that
    best supports their sentence, when that passage holds one of the sentence's facts."""
    results = []
    for finding in findings:
        number = _sentence_of(finding.value, summary, found)
        if finding.evidence or number is None or finding.kind not in _FACT_KINDS:
            results.append(finding)
            continue
        claim = found[number]
        evidence = _evidence(claim, index) if claim.held else ""
        results.append(replace(finding, evidence=evidence))
    return results


def _evidence(claim: Claim, index: RelationIndex) -> str:
    return index.passages.quote(claim.passage) if claim.passage is not None else ""


def _sentence_of(value: str, summary: str, found: list[Claim]) -> int | None:
    """The number of the first sentence whose text holds ``value``."""
    for number, claim in enumerate(found):
        if value and value in claim.sentence.text(summary):
            return number
    return None
