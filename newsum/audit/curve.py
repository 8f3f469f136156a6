"""The threshold curve: what each entailment threshold would publish, and how faithfully.

Pure arithmetic over (score, label) pairs, so it is tested without a model. A summary is
published at threshold ``t`` when its score is at least ``t`` (and, when the rules are
part of the checker, the rules pass it too: the workers publish only what both pass).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from newsum.errors import CalibrationUnreachable

TABLE_STEP = 0.05


@dataclass(frozen=True)
class ScoredLabel:
    """One labelled summary as the calibration sees it."""

    score: float
    faithful: bool
    rules_passed: bool = True


@dataclass(frozen=True)
class CurvePoint:
    """The outcome of one threshold over the labels."""

    threshold: float
    published: float  # share of all labelled summaries published
    precision: float | None  # faithful among published; None when nothing is published
    faithful_passed: float  # share of the faithful summaries published
    unfaithful_held: float  # share of the unfaithful summaries held

    def as_dict(self) -> dict[str, float]:
        """Plain numbers for the calibration record (None precision left out)."""
        return {k: v for k, v in asdict(self).items() if v is not None}


def point_at(labels: Sequence[ScoredLabel], threshold: float) -> CurvePoint:
    """The curve at ``threshold``."""
    published = [x for x in labels if x.rules_passed and x.score >= threshold]
    faithful = sum(x.faithful for x in labels)
    unfaithful = len(labels) - faithful
    published_faithful = sum(x.faithful for x in published)
    return CurvePoint(
        threshold=threshold,
        published=len(published) / len(labels) if labels else 0.0,
        precision=published_faithful / len(published) if published else None,
        faithful_passed=published_faithful / faithful if faithful else 0.0,
        unfaithful_held=(
            1 - (len(published) - published_faithful) / unfaithful if unfaithful else 1.0
        ),
    )


def curve(labels: Sequence[ScoredLabel]) -> list[CurvePoint]:
    """The curve at 0 and at every distinct score: every operating point there is."""
    thresholds = sorted({0.0, *(x.score for x in labels)})
    return [point_at(labels, t) for t in thresholds]


def choose_threshold(labels: Sequence[ScoredLabel], target_precision: float) -> CurvePoint:
    """The lowest threshold (so the most published) reaching ``target_precision``.

    Raises CalibrationUnreachable when the labels cannot decide (no summary of one of the
    two kinds) or no threshold that publishes anything reaches the target.
    """
    faithful = sum(x.faithful for x in labels)
    if faithful == 0 or faithful == len(labels):
        raise CalibrationUnreachable(
            f"the labels hold {faithful} faithful and {len(labels) - faithful} unfaithful"
            " summaries: calibration needs both"
        )
    points = [p for p in curve(labels) if p.precision is not None]
    reaching = [p for p in points if p.precision >= target_precision]  # type: ignore[operator]
    if not reaching:
        best = max(points, key=lambda p: (p.precision, p.published))
        raise CalibrationUnreachable(
            f"no threshold reaches {target_precision:.3f} faithful among published: the best is"
            f" {best.precision:.3f} at {best.threshold:.3f} ({best.published:.0%} published);"
            " lower --target-precision, label more summaries or use a stronger model"
        )
    return min(reaching, key=lambda p: p.threshold)


def curve_table(labels: Sequence[ScoredLabel], chosen: CurvePoint | None = None) -> str:
    """A Markdown table of the curve every 0.05, with the chosen threshold's row marked."""
    steps = round(1 / TABLE_STEP)
    points = [point_at(labels, round(i * TABLE_STEP, 2)) for i in range(steps)]
    if chosen is not None:
        points = sorted([*(p for p in points if p.threshold != chosen.threshold), chosen],
                        key=lambda p: p.threshold)
    rows = [
        "| threshold | published | faithful among published | faithful passed |"
        " unfaithful held |",
        "|---|---|---|---|---|",
    ]
    for p in points:
        mark = " (chosen)" if chosen is not None and p.threshold == chosen.threshold else ""
        precision = "-" if p.precision is None else f"{p.precision:.3f}"
        rows.append(f"| {p.threshold:.3f}{mark} | {p.published:.0%} | {precision} |"
                    f" {p.faithful_passed:.0%} | {p.unfaithful_held:.0%} |")
    return "\n".join(rows)
