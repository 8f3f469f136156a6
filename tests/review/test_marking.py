"""Which parts of a summary the review page marks."""

from __future__ import annotations

from newsum.review.marking import Segment, marked_segments


def marked(text: str, findings: list[dict[str, str]]) -> list[str]:
    return [s.text for s in marked_segments(text, findings) if s.marked]


def test_unsupported_values_are_marked_whole_word_longest_first_any_case() -> None:
    findings = [{"kind": "unsupported_number", "value": "12"},
                {"kind": "unsupported_date", "value": "12 May"},
                {"kind": "unsupported_name", "value": "porto"}]
    text = "On 12 May in Porto, 2012 fans and 12 bands met."
    assert marked(text, findings) == ["12 May", "Porto", "12"]
    assert "".join(s.text for s in marked_segments(text, findings)) == text


def test_findings_that_name_no_text_mark_nothing() -> None:
    findings = [{"kind": "too_short", "value": "4 words (min 10)"},
                {"kind": "wrong_language", "value": "pt"},
                {"kind": "unsupported_name", "value": "Lisbon"}]
    assert marked_segments("A short text.", findings) == [Segment("A short text.", False)]
    assert marked_segments("", findings) == []
