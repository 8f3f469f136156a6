"""The threshold curve and the choice of threshold, on scores written by hand."""

from __future__ import annotations

import pytest

from newsum.audit.curve import ScoredLabel, choose_threshold, curve, curve_table, point_at
from newsum.errors import CalibrationUnreachable

# Faithful summaries score high, unfaithful low, with one unfaithful among the high ones.
LABELS = [
    *(ScoredLabel(score, True) for score in (0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.4)),
    *(ScoredLabel(score, False) for score in (0.75, 0.3, 0.2, 0.1)),
]


def test_a_point_counts_what_the_threshold_publishes() -> None:
    point = point_at(LABELS, 0.6)
    assert point.published == pytest.approx(7 / 11)  # six faithful and the 0.75 one
    assert point.precision == pytest.approx(6 / 7)
    assert point.faithful_passed == pytest.approx(6 / 7)
    assert point.unfaithful_held == pytest.approx(3 / 4)


def test_the_lowest_threshold_reaching_the_target_is_chosen() -> None:
    chosen = choose_threshold(LABELS, 0.97)
    # Above the unfaithful 0.75 every published summary is faithful; 0.8 publishes most.
    assert chosen.threshold == 0.8
    assert chosen.precision == 1.0 and chosen.published == pytest.approx(4 / 11)
    # A lower target publishes more.
    assert choose_threshold(LABELS, 0.85).threshold == 0.4  # 7 of 8 published are faithful


def test_summaries_the_rules_hold_are_never_published() -> None:
    with_rules = [*LABELS[:-4], ScoredLabel(0.75, False, rules_passed=False), *LABELS[-3:]]
    # The 0.75 unfaithful summary is held by the rules: the model may be lenient.
    assert choose_threshold(with_rules, 0.97).threshold == 0.4
    assert point_at(with_rules, 0.0).published == pytest.approx(10 / 11)


def test_an_unreachable_target_says_what_the_best_is() -> None:
    labels = [ScoredLabel(0.9, False), ScoredLabel(0.8, True), ScoredLabel(0.1, False)]
    with pytest.raises(CalibrationUnreachable, match=r"the best is 0\.500 at 0\.800"):
        choose_threshold(labels, 0.97)


@pytest.mark.parametrize("faithful", [True, False])
def test_labels_of_one_kind_cannot_calibrate(faithful: bool) -> None:
    with pytest.raises(CalibrationUnreachable, match="needs both"):
        choose_threshold([ScoredLabel(0.5, faithful), ScoredLabel(0.7, faithful)], 0.9)


def test_the_curve_has_every_operating_point_and_the_table_marks_the_choice() -> None:
    points = curve(LABELS)
    assert [p.threshold for p in points] == sorted({0.0, *(x.score for x in LABELS)})
    assert points[0].published == 1.0
    table = curve_table(LABELS, choose_threshold(LABELS, 0.97))
    assert "| 0.800 (chosen) | 36% | 1.000 | 57% | 100% |" in table
    assert table.count("\n") == 2 + 20 - 1  # header, separator, 0.00 to 0.95 (0.80 marked)
