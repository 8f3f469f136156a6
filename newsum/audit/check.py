"""``newsum faithfulness check``: the configured checker over a file of summaries.

The checker is the one the workers apply: the rules, and the entailment model too when
one is configured (``NEWSUM_FAITHFULNESS_MODEL``), at the threshold in force (an explicit
setting, else the latest calibration recorded in the database, else the default).
``--checker`` picks the rules or the model alone instead, which is how the benchmark
compares them.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from newsum.audit.records import SummaryItem, read_summaries, verdict_record, write_json_lines
from newsum.config import Settings
from newsum.db.calibration import ThresholdInForce, threshold_in_force
from newsum.errors import SettingsInvalid
from newsum.modeling.faithfulness.checker import FaithfulnessChecker, RuleChecker
from newsum.modeling.faithfulness.combined import CombinedChecker, check_batch
from newsum.modeling.faithfulness.entailment import (
    DEFAULT_THRESHOLD,
    EntailmentChecker,
    EntailmentModel,
)
from newsum.modeling.faithfulness.verdict import Verdict

# Summaries handed to the checker at a time: the progress bar moves, a model batches well.
CHUNK = 64


class CheckerKind(enum.StrEnum):
    """Which checker judges: the rules, the entailment model, or both (a summary must pass
    both)."""

    RULES = "rules"
    ENTAILMENT = "entailment"
    BOTH = "both"


@dataclass(frozen=True)
class ConfiguredChecker:
    """A checker and a one-line description of it (which model, which threshold, why)."""

    checker: FaithfulnessChecker
    description: str


def build_checker(
    kind: CheckerKind, model: EntailmentModel | None, threshold: float, *, batch_size: int = 32
) -> FaithfulnessChecker:
    """The rules, the entailment checker on ``model``, or both combined."""
    rules = RuleChecker()
    if kind is CheckerKind.RULES:
        return rules
    if model is None:
        raise SettingsInvalid(f"the {kind} checker needs an entailment model")
    entailment = EntailmentChecker(model, threshold=threshold, batch_size=batch_size)
    return entailment if kind is CheckerKind.ENTAILMENT else CombinedChecker((rules, entailment))


def configured_checker(
    settings: Settings,
    *,
    kind: CheckerKind | None = None,
    model_name: str | None = None,
    threshold: float | None = None,
) -> ConfiguredChecker:
    """The checker the settings (and these overrides) describe, its model loaded once.

    Raises SettingsInvalid when a model is asked for and none is configured, and what
    loading the model raises (ModelNotFound, EntailmentModelInvalid).
    """
    from newsum.modeling.faithfulness.entailment import load_entailment_model

    model_name = model_name or settings.faithfulness_model
    kind = kind or (CheckerKind.BOTH if model_name else CheckerKind.RULES)
    if kind is CheckerKind.RULES:
        return ConfiguredChecker(RuleChecker(), "rules")
    if not model_name:
        raise SettingsInvalid(
            f"the {kind} checker needs a model: set NEWSUM_FAITHFULNESS_MODEL or pass --model"
        )
    explicit = threshold if threshold is not None else settings.faithfulness_threshold
    in_force = _threshold(settings, model_name, explicit)
    model = load_entailment_model(model_name, device=settings.device)
    checker = build_checker(kind, model, in_force.value,
                            batch_size=settings.faithfulness_batch_size)
    label = "rules + entailment" if kind is CheckerKind.BOTH else "entailment"
    return ConfiguredChecker(
        checker, f"{label} ({model_name}, threshold {in_force.value:g}: {in_force.source})"
    )


def no_sqlite_file(database_url: str) -> bool:
    """Whether the URL names a SQLite file that does not exist (connecting would create it)."""
    url = make_url(database_url)
    return url.get_backend_name() == "sqlite" and not (
        url.database and Path(url.database).is_file()
    )


def _threshold(settings: Settings, model_name: str, explicit: float | None) -> ThresholdInForce:
    """The threshold in force, read from the database only when none is given.

    An audit may run on a machine without newsum's database: a SQLite file that does not
    exist, or a database not migrated yet, holds no calibration (and is not created).
    """
    from newsum.db.engine import check_connection, make_engine, transaction

    if explicit is not None:
        return ThresholdInForce(explicit, "set explicitly")
    if no_sqlite_file(settings.database_url):
        return ThresholdInForce(DEFAULT_THRESHOLD, "default; no database")
    engine = make_engine(settings.database_url)
    try:
        check_connection(engine)
        if not inspect(engine).has_table("newsum_faithfulness_calibrations"):
            return ThresholdInForce(
                DEFAULT_THRESHOLD, "default; the database holds no calibrations yet"
            )
        with transaction(engine) as session:
            return threshold_in_force(session, model_name, None)
    finally:
        engine.dispose()


def check_summaries(
    checker: FaithfulnessChecker, items: Sequence[SummaryItem], *, progress: bool | None = None
) -> list[Verdict]:
    """The verdict on each item, in order; a progress bar on a terminal (``progress=None``)."""
    from tqdm import tqdm

    show = sys.stderr.isatty() if progress is None else progress
    verdicts: list[Verdict] = []
    with tqdm(total=len(items), unit="summary", disable=not show, file=sys.stderr) as bar:
        for start in range(0, len(items), CHUNK):
            chunk = items[start : start + CHUNK]
            verdicts += check_batch(checker, [(item.article, item.summary) for item in chunk])
            bar.update(len(chunk))
    return verdicts


@dataclass(frozen=True)
class CheckReport:
    """What one run of the check did."""

    checked: int
    passed: int
    out: Path
    checker: str

    def line(self) -> str:
        """The one line the command prints."""
        return (f"checked {self.checked} summaries: {self.passed} passed,"
                f" {self.checked - self.passed} held; verdicts in {self.out}"
                f" (checker: {self.checker})")


def run_check(
    data: Path, out: Path, configured: ConfiguredChecker, *, progress: bool | None = None
) -> CheckReport:
    """Check every summary of ``data`` and write the verdicts to ``out`` in one go.

    Raises AuditDataInvalid (naming the line) before any checking when ``data`` has a
    malformed line; ``out`` is then left untouched.
    """
    items = read_summaries(data)
    verdicts = check_summaries(configured.checker, items, progress=progress)
    write_json_lines(out, (verdict_record(i, v) for i, v in zip(items, verdicts, strict=True)))
    return CheckReport(len(items), sum(v.passed for v in verdicts), out,
                       configured.description)
