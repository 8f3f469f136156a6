"""Which parts of a summary to highlight for an editor: the names, figures, dates,
quotations, roles and words the faithfulness check could not find in the article as the
summary uses them (the page shows each finding's article passage beside it)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from newsum.modeling.faithfulness import FindingKind

MARKED_KINDS = frozenset({
    FindingKind.UNSUPPORTED_NAME.value, FindingKind.UNSUPPORTED_NUMBER.value,
    FindingKind.UNSUPPORTED_DATE.value, FindingKind.UNSUPPORTED_QUOTE.value,
    FindingKind.WRONG_ROLE.value, FindingKind.FIGURE_CONTEXT.value,
    FindingKind.INVENTED_WORD.value,
})


@dataclass(frozen=True)
class Segment:
    """A run of summary text, highlighted or not (the template escapes it)."""

    text: str
    marked: bool


def marked_segments(text: str, findings: Iterable[Mapping[str, str]]) -> list[Segment]:
    """``text`` cut into segments, each unsupported value a marked one.

    Values match whole words only, case-insensitively, longest first (so "12 May" wins
    over "12"); a value the summary does not hold verbatim is simply not marked.
    """
    values = {
        str(finding.get("value", "")).strip()
        for finding in findings
        if finding.get("kind") in MARKED_KINDS
    }
    values.discard("")
    if not values or not text:
        return [Segment(text, False)] if text else []
    alternatives = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
    segments: list[Segment] = []
    last = 0
    for match in pattern.finditer(text):
        if match.start() > last:
            segments.append(Segment(text[last:match.start()], False))
        segments.append(Segment(match.group(), True))
        last = match.end()
    if last < len(text):
        segments.append(Segment(text[last:], False))
    return segments
