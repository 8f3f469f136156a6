"""``newsum status``: what the queue and the database say, in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from newsum.config import Settings
from newsum.db.engine import check_connection, make_engine, session_factory
from newsum.db.events import EventGroup, recent_events
from newsum.db.models import utcnow
from newsum.db.queries import (
    FindingCount,
    ReasonCount,
    StatusCount,
    counts_by_status,
    failure_reasons,
    finding_kinds,
    recent_throughput,
)


@dataclass
class StatusReport:
    """Counts by model version and state, why rows failed, recent problems, throughput."""

    counts: list[StatusCount] = field(default_factory=list)
    throughput_per_s: float = 0.0
    active_version: str | None = None
    queue_depth: int | None = None
    in_flight: int | None = None
    broker_error: str | None = None
    reasons: list[ReasonCount] = field(default_factory=list)
    findings: list[FindingCount] = field(default_factory=list)
    events: list[EventGroup] = field(default_factory=list)
    window_h: float = 24.0


def collect_status(settings: Settings) -> StatusReport:
    """Read the status from the database named by ``settings``."""
    from newsum.db.registry import active_model_version
    from newsum.errors import NoActiveModelVersion

    engine = make_engine(settings.database_url)
    check_connection(engine)
    with session_factory(engine)() as session:
        report = StatusReport(
            counts=counts_by_status(session),
            throughput_per_s=recent_throughput(session),
            reasons=failure_reasons(session),
            findings=finding_kinds(session),
            events=recent_events(session, utcnow() - timedelta(hours=settings.status_window_h)),
            window_h=settings.status_window_h,
        )
        try:
            report.active_version = active_model_version(session).name
        except NoActiveModelVersion:
            report.active_version = None
    engine.dispose()
    _add_queue(report, settings)
    return report


def _add_queue(report: StatusReport, settings: Settings) -> None:
    """Queue depth and in-flight messages from the broker; a broker down is reported."""
    from newsum.broker.stats import in_flight, queue_depth
    from newsum.errors import BrokerUnavailable

    try:
        report.queue_depth = queue_depth(settings)
        report.in_flight = in_flight(settings)
    except BrokerUnavailable as exc:
        report.broker_error = str(exc)


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def format_status(report: StatusReport) -> str:
    """The report as small text tables."""
    lines = [f"active model version: {report.active_version or '(none)'}"]
    if report.broker_error:
        lines.append(f"queue: UNAVAILABLE ({report.broker_error})")
    else:
        lines.append(f"queue depth: {report.queue_depth}  in flight: {report.in_flight}")
    if not report.counts:
        lines.append("no summaries yet")
    else:
        lines.append(f"{'model version':<32} {'state':<12} {'count':>8}")
        for row in report.counts:
            lines.append(f"{row.model_version:<32} {row.status:<12} {row.count:>8}")
    lines.append(f"throughput (last 5 min): {report.throughput_per_s * 60:.1f} summaries/min")
    if report.reasons:
        lines.append("")
        lines.append("why rows are failed or skipped (most common first):")
        for reason in report.reasons:
            lines.append(f"  {reason.count:>7}  {reason.status:<8} {reason.model_version}: "
                         f"{_clip(reason.reason, 100)}")
    if report.findings:
        lines.append("")
        lines.append("why summaries wait in needs_review (summaries per finding kind):")
        for finding in report.findings[:10]:
            lines.append(f"  {finding.count:>7}  {finding.model_version}: {finding.kind}")
    lines.append("")
    if not report.events:
        lines.append(f"problems in the last {report.window_h:g} h: none recorded")
    else:
        lines.append(f"problems in the last {report.window_h:g} h (most recent first):")
        lines.append(f"  {'what':<28} {'events':>6} {'affected':>8}  {'last seen (UTC)':<19}"
                     "  last detail")
        for event in report.events:
            lines.append(
                f"  {event.kind:<28} {event.events:>6} {event.count:>8}  "
                f"{event.last_at:%Y-%m-%d %H:%M:%S}  {_clip(event.last_detail, 90)}"
                f" [{_clip(event.last_source, 40)}]"
            )
    return "\n".join(lines)
