"""``newsum faithfulness calibrate``: choose the entailment threshold from labelled summaries.

1. gather labels: a labelled file (``--data``) or the editors' audit trail
   (``--from-reviews``);
2. score every labelled summary with the configured entailment model (and, as the
   workers do, run the rules: a summary the rules hold is never published);
3. read the curve and take the lowest threshold whose published summaries are faithful
   at least ``--target-precision`` of the time (the most published at that precision);
4. report the curve (a table, and a plot) and record the threshold, with what it was
   calibrated on, in the database, where every worker reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, inspect

from newsum.audit.check import check_summaries, no_sqlite_file
from newsum.audit.curve import (
    CurvePoint,
    ScoredLabel,
    choose_threshold,
    curve,
    curve_table,
    point_at,
)
from newsum.audit.records import SummaryItem, file_fingerprint, read_summaries
from newsum.audit.reviews import labels_from_reviews
from newsum.config import Settings
from newsum.db.calibration import CalibrationResult, record_calibration
from newsum.errors import CalibrationUnreachable, SettingsInvalid
from newsum.modeling.faithfulness.checker import RuleChecker
from newsum.modeling.faithfulness.entailment import EntailmentChecker, EntailmentModel


@dataclass(frozen=True)
class LabelledSet:
    """Labelled summaries and where they come from."""

    items: list[SummaryItem]
    source: str
    fingerprint: str


def labels_from_file(path: Path) -> LabelledSet:
    """The labelled summaries of a JSON-lines file; raises AuditDataInvalid."""
    items = read_summaries(path, labelled=True)
    return LabelledSet(items, f"file {path.name} ({len(items)} labelled)",
                       file_fingerprint(path))


def labels_from_audit_trail(engine: Engine, settings: Settings) -> LabelledSet:
    """The editors' decisions as labels; raises CalibrationUnreachable when there are none."""
    labels = labels_from_reviews(engine, settings)
    if not labels.items:
        raise CalibrationUnreachable(
            "the audit trail holds no approved, rejected or fact-corrected summary yet"
            f" ({labels.wording_edits} wording-only edits, {labels.deleted_articles} of"
            " deleted articles): editors review summaries at /review"
        )
    return LabelledSet(labels.items, labels.source, labels.fingerprint)


def score_labels(
    items: Sequence[SummaryItem], model: EntailmentModel, *, with_rules: bool,
    batch_size: int = 32, progress: bool | None = None,
) -> list[ScoredLabel]:
    """Each labelled summary's entailment score, and whether the rules pass it."""
    scorer = EntailmentChecker(model, threshold=0.0, batch_size=batch_size)
    scored = check_summaries(scorer, items, progress=progress)
    rules = check_summaries(RuleChecker(), items, progress=False) if with_rules else None
    return [
        ScoredLabel(score=verdict.score or 0.0, faithful=bool(item.faithful),
                    rules_passed=rules[i].passed if rules is not None else True)
        for i, (item, verdict) in enumerate(zip(items, scored, strict=True))
    ]


@dataclass(frozen=True)
class Calibration:
    """The chosen operating point and the record that describes it."""

    chosen: CurvePoint
    result: CalibrationResult


def calibrate(
    labels: Sequence[ScoredLabel], labelled: LabelledSet, *, model_name: str,
    target_precision: float, with_rules: bool,
) -> Calibration:
    """Choose the threshold; raises CalibrationUnreachable (the caller shows the curve)."""
    _check_target(target_precision)
    chosen = choose_threshold(labels, target_precision)
    result = CalibrationResult(
        model=model_name, threshold=round(chosen.threshold, 6),
        target_precision=target_precision, precision=chosen.precision or 0.0,
        published=chosen.published, with_rules=with_rules, source=labelled.source,
        fingerprint=labelled.fingerprint, labelled=len(labels),
        faithful=sum(x.faithful for x in labels),
        curve=[p.as_dict() for p in curve(labels)],
    )
    return Calibration(chosen, result)


def _check_target(target_precision: float) -> None:
    if not 0 < target_precision <= 1:
        raise SettingsInvalid(f"--target-precision is a share in (0, 1], not {target_precision}")


def save_calibration(engine: Engine, result: CalibrationResult) -> int:
    """Record ``result`` where workers read it; returns its id.

    Raises DatabaseUnavailable, and SettingsInvalid for a database not migrated yet.
    """
    from newsum.db.engine import check_connection, transaction

    check_connection(engine)
    if not inspect(engine).has_table("newsum_faithfulness_calibrations"):
        raise SettingsInvalid("the database has no calibrations table yet: run newsum db"
                              " upgrade, or pass --no-save")
    with transaction(engine) as session:
        return record_calibration(session, result).id


def plot_curve(
    labels: Sequence[ScoredLabel], path: Path, *, target_precision: float,
    chosen: CurvePoint | None = None,
) -> Path:
    """Faithful among published and share published by threshold, as a PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")  # workers and servers have no display
    import matplotlib.pyplot as plt

    grid = [i / 100 for i in range(101)]
    points = [point_at(labels, t) for t in grid]
    figure, axes = plt.subplots(figsize=(6, 4))
    axes.plot(grid, [p.precision if p.precision is not None else float("nan") for p in points],
              label="faithful among published")
    axes.plot(grid, [p.published for p in points], label="share published")
    axes.axhline(target_precision, linestyle="--", color="grey", label="target")
    if chosen is not None:
        axes.axvline(chosen.threshold, linestyle=":", color="black",
                     label=f"chosen {chosen.threshold:.3f}")
    axes.set_xlabel("entailment threshold")
    axes.set_ylim(0, 1.02)
    axes.set_title(f"newsum faithfulness calibration ({len(labels)} labelled)")
    axes.legend(loc="lower left")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def report(calibration: Calibration, labels: Sequence[ScoredLabel]) -> str:
    """The table and the chosen point, as the command prints them."""
    chosen, result = calibration.chosen, calibration.result
    return (
        f"{curve_table(labels, chosen)}\n\n"
        f"chosen threshold {chosen.threshold:.3f}: {chosen.precision:.3f} faithful among"
        f" published (target {result.target_precision:.3f}), {chosen.published:.0%}"
        f" published; {result.labelled} labelled ({result.faithful} faithful) from"
        f" {result.source}; {'rules + entailment' if result.with_rules else 'entailment alone'}"
    )


@dataclass(frozen=True)
class CalibrationRequest:
    """What ``newsum faithfulness calibrate`` was asked to do."""

    data: Path | None
    from_reviews: bool
    target_precision: float
    model_name: str | None
    with_rules: bool
    plot: Path
    save: bool = True


def run_calibration(
    request: CalibrationRequest, settings: Settings, *, echo: Callable[[str], None] = print
) -> int | None:
    """The whole command: labels, scores, curve, plot, record; returns the record's id.

    Raises SettingsInvalid (no model, no data or both), AuditDataInvalid, ModelNotFound,
    DatabaseUnavailable and CalibrationUnreachable (after printing the curve).
    """
    from newsum.db.engine import make_engine
    from newsum.modeling.faithfulness.entailment import load_entailment_model

    if (request.data is None) == (not request.from_reviews):
        raise SettingsInvalid("pass either --data FILE or --from-reviews")
    _check_target(request.target_precision)
    if not request.model_name:
        raise SettingsInvalid("calibration chooses the entailment threshold: set"
                              " NEWSUM_FAITHFULNESS_MODEL or pass --model")
    needs_database = request.from_reviews or request.save
    if needs_database and no_sqlite_file(settings.database_url):
        raise SettingsInvalid(f"no database at {settings.database_url}: run newsum db upgrade"
                              f"{'' if request.from_reviews else ', or pass --no-save'}")
    engine = make_engine(settings.database_url) if needs_database else None
    try:
        labelled = (labels_from_file(request.data) if request.data is not None
                    else labels_from_audit_trail(engine, settings))  # type: ignore[arg-type]
        model = load_entailment_model(request.model_name, device=settings.device)
        labels = score_labels(labelled.items, model, with_rules=request.with_rules,
                              batch_size=settings.faithfulness_batch_size)
        try:
            calibration = calibrate(labels, labelled, model_name=request.model_name,
                                    target_precision=request.target_precision,
                                    with_rules=request.with_rules)
        except CalibrationUnreachable:
            echo(curve_table(labels))
            plot_curve(labels, request.plot, target_precision=request.target_precision)
            echo(f"plot: {request.plot}")
            raise
        plot_curve(labels, request.plot, target_precision=request.target_precision,
                   chosen=calibration.chosen)
        echo(report(calibration, labels))
        echo(f"plot: {request.plot}")
        if engine is None or not request.save:
            return None
        record = save_calibration(engine, calibration.result)
        echo(f"recorded as calibration {record} for {request.model_name}: workers use it from"
             " their next batch (unless NEWSUM_FAITHFULNESS_THRESHOLD is set)")
        return record
    finally:
        if engine is not None:
            engine.dispose()
