"""Events: the problems workers, the sweeper and the queue ran into, for ``newsum status``.

A fault is logged where it happens, in the log of one process. An operator asking "is
anything wrong?" wants the answer for every worker in one place, and after a restart has
thrown the old container's logs away; so the same faults are also written here, one row
per occurrence (``count`` says how many messages or connections it concerned).

Recording is best effort: an event about a database outage cannot be written during
the outage, and failing to record an event must never fail the work that met it.
"""

from __future__ import annotations

import enum
import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from newsum.db.engine import transaction
from newsum.db.models import ServiceEvent, utcnow

log = logging.getLogger(__name__)


class EventKind(enum.StrEnum):
    """What went wrong; ``newsum status`` groups by it."""

    WORKER_LOST = "worker lost"
    REDELIVERED = "redelivered"
    TRANSIENT_FAULT = "transient fault"
    GAVE_UP = "gave up retrying"
    TIME_LIMIT = "time limit"
    MODEL_LOAD_FAILED = "model load failed"
    DATABASE_DROPPED = "database connection dropped"
    BAD_MESSAGE = "bad message"
    STALE_CLAIMS = "stale claims requeued"
    INTERNAL_ERROR = "internal error"


_node_name: str | None = None


def set_node_name(name: str) -> None:
    """Name this process's events after its Celery node (``celery@host``).

    Set in the worker's main process before the pool forks, so its children inherit it.
    """
    global _node_name
    _node_name = name


def process_source() -> str:
    """Who records: the Celery node and process id, or this host and process id."""
    if _node_name:
        return f"{_node_name} pid {os.getpid()}"
    return f"{socket.gethostname()} pid {os.getpid()}"


def record_event(
    engine: Engine, kind: EventKind, detail: str, *, count: int = 1, source: str | None = None
) -> bool:
    """Write one event; False (and a log line) when the database would not take it."""
    try:
        with transaction(engine) as session:
            session.execute(
                insert(ServiceEvent).values(
                    created_at=utcnow(), kind=kind.value, source=(source or process_source())[:200],
                    detail=detail[:2000], count=count,
                )
            )
    except SQLAlchemyError as exc:
        log.warning("could not record the event %r (%s): %s", kind.value, detail,
                    type(exc).__name__)
        return False
    return True


@dataclass(frozen=True, slots=True)
class EventGroup:
    """The events of one kind within a window, with the latest one's details."""

    kind: str
    events: int
    count: int
    last_at: datetime
    last_source: str
    last_detail: str


def recent_events(session: Session, since: datetime) -> list[EventGroup]:
    """Events since ``since`` grouped by kind, the most recently seen kind first."""
    groups = session.execute(
        select(
            ServiceEvent.kind, func.count(), func.sum(ServiceEvent.count),
            func.max(ServiceEvent.id),
        )
        .where(ServiceEvent.created_at >= since)
        .group_by(ServiceEvent.kind)
    ).all()
    latest = {
        event.id: event
        for event in session.scalars(
            select(ServiceEvent).where(ServiceEvent.id.in_([g[3] for g in groups]))
        )
    }
    result = [
        EventGroup(kind, int(events), int(total or 0), latest[last_id].created_at,
                   latest[last_id].source, latest[last_id].detail)
        for kind, events, total, last_id in groups
    ]
    return sorted(result, key=lambda group: group.last_at, reverse=True)


def prune_events(engine: Engine, older_than: timedelta) -> int:
    """Delete events older than ``older_than``; returns how many went."""
    with transaction(engine) as session:
        result = session.execute(
            delete(ServiceEvent).where(ServiceEvent.created_at < utcnow() - older_than)
        )
    return int(result.rowcount or 0)
