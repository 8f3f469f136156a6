"""The model of one worker process: loaded once, in the process that generates.

Deployment is one worker process per GPU. CUDA cannot be used in a child forked from a
parent that initialised it, so the parent never loads anything: a prefork child loads the
active version in ``worker_process_init`` (before it takes work), the solo pool loads at
the first batch. Every load logs one line ``model loaded pid=... version=...`` and bumps
:attr:`ModelRuntime.loads`, which is how "loaded once per process" is checked.

A message names the model version it wants. The runtime keeps one version in memory and
loads another only when a batch asks for it (after a promotion, or for a backfill with
``--model-version``). ``newsum reload`` (:func:`broadcast_reload`) makes running workers
load the active version now: a prefork worker restarts its child, a solo worker drops its
model and loads the active version at its next batch.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from celery.signals import worker_process_init
from celery.worker.control import control_command
from sqlalchemy import Engine

from newsum.config import Settings
from newsum.db.engine import transaction
from newsum.db.events import EventKind, record_event
from newsum.db.models import ModelVersion
from newsum.db.registry import active_model_version
from newsum.errors import NewsumError, UnknownModelVersion

if TYPE_CHECKING:
    from newsum.modeling.faithfulness.entailment import EntailmentModel
    from newsum.modeling.loading import LoadedModel, Precision

log = logging.getLogger(__name__)
RELOAD_COMMAND = "newsum_reload"


@dataclass(frozen=True)
class ServedVersion:
    """What a worker needs to load one model version."""

    id: int
    name: str
    base_model: str
    adapter_dir: Path | None


def served_version(version: ModelVersion, settings: Settings) -> ServedVersion:
    """The files to load for ``version``; ``settings.adapter_dir`` replaces the active one's.

    An empty ``adapter_path`` registers the base model alone (no fine-tuning).
    """
    adapter: Path | None = Path(version.adapter_path) if version.adapter_path else None
    if version.is_active and settings.adapter_dir is not None:
        adapter = settings.adapter_dir
    return ServedVersion(version.id, version.name, version.base_model, adapter)


def version_by_id(engine: Engine, version_id: int, settings: Settings) -> ServedVersion:
    """The served version with this id; raises UnknownModelVersion."""
    with transaction(engine) as session:
        version = session.get(ModelVersion, version_id)
        if version is None:
            raise UnknownModelVersion(f"no model version with id {version_id}")
        return served_version(version, settings)


def active_version(engine: Engine, settings: Settings) -> ServedVersion:
    """The version promoted in the registry; raises NoActiveModelVersion."""
    with transaction(engine) as session:
        return served_version(active_model_version(session), settings)


class ModelRuntime:
    """The loaded model of this process, the version it belongs to, and the entailment
    model of the faithfulness check when one is configured (it serves every version)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.loads = 0
        self.entailment_loads = 0
        self._version: ServedVersion | None = None
        self._loaded: LoadedModel | None = None
        self._entailment: EntailmentModel | None = None

    def entailment_model(self) -> EntailmentModel | None:
        """The configured entailment model (None: the rules alone), loaded once per process.

        Raises what loading raises (ModelNotFound, EntailmentModelInvalid, OSError).
        """
        name = self.settings.faithfulness_model
        if name is None:
            return None
        if self._entailment is None:
            from newsum.modeling.faithfulness.entailment import load_entailment_model

            started = time.perf_counter()
            self._entailment = load_entailment_model(name, device=self.settings.device)
            self.entailment_loads += 1
            log.info("entailment model loaded pid=%d model=%s loads=%d seconds=%.1f",
                     os.getpid(), name, self.entailment_loads, time.perf_counter() - started)
        return self._entailment

    def model_for(self, version: ServedVersion) -> LoadedModel:
        """The model of ``version``, loading it (and dropping another) when needed."""
        if self._loaded is None or self._version != version:
            self._load(version)
        assert self._loaded is not None
        return self._loaded

    def invalidate(self) -> None:
        """Drop the model; the next batch loads the version it asks for."""
        self._loaded = None
        self._version = None

    def precision(self) -> Precision:
        """The configured precision, or fp32 on a machine without a GPU (plain CPU fallback)."""
        from newsum.modeling.loading import resolve_device

        if self.settings.precision == "nf4" and resolve_device(self.settings.device).type != "cuda":
            return "fp32"
        return self.settings.precision

    def _load(self, version: ServedVersion) -> None:
        from newsum.modeling.loading import load_for_inference

        self.invalidate()  # free the old model's memory before loading the new one
        started = time.perf_counter()
        precision = self.precision()
        base_model = None if version.adapter_dir is not None else version.base_model
        self._loaded = load_for_inference(
            version.adapter_dir, base_model=base_model, precision=precision,
            device=self.settings.device,
        )
        self._version = version
        self.loads += 1
        log.info(
            "model loaded pid=%d version=%s precision=%s loads=%d seconds=%.1f",
            os.getpid(), version.name, precision, self.loads, time.perf_counter() - started,
        )


_runtime: ModelRuntime | None = None


def process_runtime(settings: Settings) -> ModelRuntime:
    """The runtime of this process (one per process, created on first use)."""
    global _runtime
    if _runtime is None:
        _runtime = ModelRuntime(settings)
    return _runtime


WARM_UP_ARTICLE = ("Warm-up", "The worker generates this once before taking work.")


def warm_up(settings: Settings, engine: Engine) -> None:
    """Load the active version and generate once; on failure, load at the first batch.

    The first generation in a process pays for lazy imports and kernel set-up (seconds
    on a CPU); paying it here keeps it out of the first real batch.
    """
    from newsum.modeling.generation import summarize_batch

    runtime = process_runtime(settings)
    try:
        loaded = runtime.model_for(active_version(engine, settings))
    except NewsumError as exc:
        log.warning("model not loaded at start (%s); it will load at the first batch", exc)
        record_event(engine, EventKind.MODEL_LOAD_FAILED, f"at worker start: {exc}")
        return
    started = time.perf_counter()
    summarize_batch(loaded, [WARM_UP_ARTICLE], batch_size=1)
    log.info("model warmed up pid=%d seconds=%.1f", os.getpid(), time.perf_counter() - started)
    try:
        runtime.entailment_model()
    except (NewsumError, OSError, ValueError, RuntimeError) as exc:
        log.warning("faithfulness model not loaded at start (%s); it will load at the first"
                    " batch", exc)
        record_event(engine, EventKind.MODEL_LOAD_FAILED, f"faithfulness model at worker"
                     f" start: {exc}")


@worker_process_init.connect
def _load_in_child(**_: Any) -> None:
    """A prefork child loads the model before it takes its first batch."""
    from newsum.broker.app import app, app_settings
    from newsum.db.engine import engine_for

    settings = app_settings(app)
    # The parent's pooled connections must not be shared with the child.
    engine_for(settings.database_url).dispose(close=False)
    warm_up(settings, engine_for(settings.database_url))


@control_command()
def newsum_reload(state: Any) -> dict[str, str]:
    """Remote control: serve the active model version from now on."""
    from celery.concurrency.solo import TaskPool as SoloPool

    pool = state.consumer.pool
    if isinstance(pool, SoloPool):
        # The model lives in this very process: drop it, the next batch loads the version
        # its messages name (the active one for everything enqueued after a promotion).
        process_runtime(state.app.newsum_settings).invalidate()
        return {"ok": "model dropped; the active version loads at the next batch"}
    # The children hold the model: restart them (each finishes its batch first); a new
    # child loads the active version in worker_process_init.
    pool.restart()
    return {"ok": "pool restarting; new children load the active version"}


def broadcast_reload(settings: Settings, timeout: float = 5.0) -> list[dict[str, Any]]:
    """Ask every worker on the broker to serve the active version; return their replies."""
    from newsum.broker.app import celery_app_for

    celery = celery_app_for(settings)
    replies = celery.control.broadcast(RELOAD_COMMAND, reply=True, timeout=timeout)
    return list(replies or [])
