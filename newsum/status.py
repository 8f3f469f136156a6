"""``newsum status``: what the queue and the database say, in one place."""

from __future__ import annotations

from dataclasses import dataclass, field

from newsum.config import Settings
from newsum.db.engine import check_connection, make_engine, session_factory
from newsum.db.queries import StatusCount, counts_by_status, recent_throughput


@dataclass
class StatusReport:
    """Counts by model version and state, plus recent throughput."""

    counts: list[StatusCount] = field(default_factory=list)
    throughput_per_s: float = 0.0
    active_version: str | None = None
    queue_depth: int | None = None
    in_flight: int | None = None
    broker_error: str | None = None


def collect_status(settings: Settings) -> StatusReport:
    """Read the status from the database named by ``settings``."""
    from newsum.db.registry import active_model_version
    from newsum.errors import NoActiveModelVersion

    engine = make_engine(settings.database_url)
    check_connection(engine)
    with session_factory(engine)() as session:
        report = StatusReport(
            counts=counts_by_status(session), throughput_per_s=recent_throughput(session)
        )
        try:
            report.active_version = active_model_version(session).name
        except NoActiveModelVersion:
            report.active_version = None
    _add_queue(report, settings)
    return report


def _add_queue(report: StatusReport, settings: Settings) -> None:
    """Queue depth and in-flight messages from the broker; a broker down is reported."""
    from newsum.errors import BrokerUnavailable
    from newsum.worker.enqueue import in_flight, queue_depth

    try:
        report.queue_depth = queue_depth(settings)
        report.in_flight = in_flight(settings)
    except BrokerUnavailable as exc:
        report.broker_error = str(exc)


def format_status(report: StatusReport) -> str:
    """The report as a small text table."""
    lines = [f"active model version: {report.active_version or '(none)'}"]
    if report.broker_error:
        lines.append(f"queue: unknown ({report.broker_error})")
    else:
        lines.append(f"queue depth: {report.queue_depth}  in flight: {report.in_flight}")
    if not report.counts:
        lines.append("no summaries yet")
    else:
        lines.append(f"{'model version':<32} {'state':<10} {'count':>8}")
        for row in report.counts:
            lines.append(f"{row.model_version:<32} {row.status:<10} {row.count:>8}")
    lines.append(f"throughput (last 5 min): {report.throughput_per_s * 60:.1f} summaries/min")
    return "\n".join(lines)
