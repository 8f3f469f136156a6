"""newsum's own Prometheus metrics, read fresh from the broker and the database per scrape.

Flower's metrics carry no queue length, and its views drop a queue that no live worker
consumes, so the depth of the ``summarize`` queue is exported here. Summary counts are
gauges, not counters: a failed summary that a later sweep redoes becomes ``done`` (and a
redo that fails turns ``done`` into ``failed``), so a count can fall, which a Prometheus
counter must never do.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from newsum.broker.stats import in_flight, queue_depth
from newsum.config import Settings
from newsum.db.engine import session_factory
from newsum.db.queries import counts_by_status, finding_kinds
from newsum.errors import NewsumError

log = logging.getLogger(__name__)

IN_QUEUE = "in queue"  # the pseudo-status counts_by_status gives claimed ids
DatabaseCounts = tuple[list[tuple[str, str, int]], list[tuple[str, str, int]]]


class NewsumCollector(Collector):
    """Collects queue depth, in-flight ids and summaries by version and state."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self._settings = settings
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        queue = self._settings.queue_name
        broker = self._read_broker()
        broker_up = GaugeMetricFamily(
            "newsum_broker_up", "1 when the broker answered this scrape.", labels=["queue"]
        )
        broker_up.add_metric([queue], 0 if broker is None else 1)
        yield broker_up
        if broker is not None:
            waiting = GaugeMetricFamily(
                "newsum_queue_depth", "Messages waiting in the queue.", labels=["queue"]
            )
            waiting.add_metric([queue], broker[0])
            yield waiting
            yield GaugeMetricFamily(
                "newsum_in_flight",
                "Messages workers took from the broker and have not acknowledged yet.",
                value=broker[1],
            )
        counts = self._read_counts()
        database_up = GaugeMetricFamily(
            "newsum_database_up", "1 when the database answered this scrape."
        )
        database_up.add_metric([], 0 if counts is None else 1)
        yield database_up
        if counts is None:
            return
        yield from _summary_metrics(counts[0])
        findings = GaugeMetricFamily(
            "newsum_review_findings",
            "Summaries waiting in needs_review with at least one finding of this kind.",
            labels=["model_version", "kind"],
        )
        for version, kind, count in counts[1]:
            findings.add_metric([version, kind], count)
        yield findings

    def _read_broker(self) -> tuple[int, int] | None:
        """(queue depth, in flight), or None when the broker does not answer."""
        try:
            return queue_depth(self._settings), in_flight(self._settings)
        except NewsumError as exc:
            log.warning("metrics: broker unavailable: %s", exc)
            return None

    def _read_counts(self) -> DatabaseCounts | None:
        """(summaries by version and state, needs_review findings by version and kind)."""
        try:
            with session_factory(self._engine)() as session:
                return (
                    [(c.model_version, c.status, c.count) for c in counts_by_status(session)],
                    [(f.model_version, f.kind, f.count) for f in finding_kinds(session)],
                )
        except (DBAPIError, NewsumError) as exc:
            log.warning("metrics: database unavailable: %s", type(exc).__name__)
            return None


def _summary_metrics(counts: list[tuple[str, str, int]]) -> Iterator[Metric]:
    summaries = GaugeMetricFamily(
        "newsum_summaries",
        "Summaries by model version and state (queued, done, needs_review, approved, edited,"
        " rejected, failed, skipped).",
        labels=["model_version", "status"],
    )
    claimed = GaugeMetricFamily(
        "newsum_claimed",
        "Article ids enqueued for a model version and not finished yet.",
        labels=["model_version"],
    )
    for version, status, count in counts:
        if status == IN_QUEUE:
            claimed.add_metric([version], count)
        else:
            summaries.add_metric([version, status], count)
    yield summaries
    yield claimed


def metrics_registry(collector: NewsumCollector) -> CollectorRegistry:
    """A registry of its own per app, so that several apps in one process never clash."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry


def render(registry: CollectorRegistry) -> bytes:
    """The Prometheus text exposition of ``registry``."""
    return generate_latest(registry)
