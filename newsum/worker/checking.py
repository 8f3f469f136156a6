"""The faithfulness check a worker applies to a batch: the rules, and the entailment model
when one is configured, at the threshold in force.

The model is loaded once per process (:meth:`ModelRuntime.entailment_model`); the
threshold is read at every batch, one small query, so a new ``newsum faithfulness
calibrate`` reaches every worker on every machine without a restart.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from newsum.config import Settings
from newsum.db.calibration import threshold_in_force
from newsum.db.engine import transaction
from newsum.modeling.checking import summary_checker
from newsum.modeling.faithfulness.checker import FaithfulnessChecker
from newsum.modeling.faithfulness.combined import CombinedChecker
from newsum.modeling.faithfulness.entailment import EntailmentChecker
from newsum.worker.runtime import ModelRuntime

if TYPE_CHECKING:
    from newsum.modeling.loading import LoadedModel

log = logging.getLogger(__name__)


def rule_checker(loaded: LoadedModel) -> FaithfulnessChecker:
    """The rules for summaries of ``loaded``: its manifest's length budget and prompt."""
    return summary_checker(loaded.manifest)


def batch_checker(
    loaded: LoadedModel, runtime: ModelRuntime, engine: Engine, settings: Settings
) -> FaithfulnessChecker:
    """What this batch's summaries must pass: the rules, and the entailment model if any.

    Raises what loading the entailment model raises; database faults propagate (the
    batch is retried).
    """
    rules = rule_checker(loaded)
    model = runtime.entailment_model()
    if model is None:
        return rules
    with transaction(engine) as session:
        threshold = threshold_in_force(
            session, model.name, settings.faithfulness_threshold
        )
    log.debug("entailment threshold %.3f (%s)", threshold.value, threshold.source)
    entailment = EntailmentChecker(
        model, threshold=threshold.value, batch_size=settings.faithfulness_batch_size
    )
    return CombinedChecker((rules, entailment))
