"""Recorded problems: written by workers, grouped for ``newsum status``, pruned by age."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, func, select, update

from newsum.db.engine import make_engine, session_factory, transaction
from newsum.db.events import EventKind, prune_events, recent_events, record_event
from newsum.db.models import ServiceEvent, utcnow


def test_events_are_grouped_by_kind_with_the_latest_detail_first(engine: Engine) -> None:
    assert record_event(engine, EventKind.WORKER_LOST, "8 message(s) requeued", count=8,
                        source="celery@a pid 10")
    assert record_event(engine, EventKind.DATABASE_DROPPED, "2 connection(s)", count=2)
    assert record_event(engine, EventKind.WORKER_LOST, "4 message(s) requeued", count=4,
                        source="celery@b pid 11")

    with session_factory(engine)() as session:
        groups = recent_events(session, utcnow() - timedelta(hours=1))

    assert [g.kind for g in groups] == ["worker lost", "database connection dropped"]
    lost = groups[0]
    assert (lost.events, lost.count) == (2, 12)
    assert (lost.last_detail, lost.last_source) == ("4 message(s) requeued", "celery@b pid 11")
    assert groups[1].last_source  # host:pid when the caller names no source


def test_old_events_leave_the_window_and_are_pruned(engine: Engine) -> None:
    record_event(engine, EventKind.STALE_CLAIMS, "old", count=3)
    record_event(engine, EventKind.REDELIVERED, "new", count=1)
    with transaction(engine) as session:
        session.execute(update(ServiceEvent).where(ServiceEvent.detail == "old")
                        .values(created_at=utcnow() - timedelta(days=40)))

    with session_factory(engine)() as session:
        assert [g.kind for g in recent_events(session, utcnow() - timedelta(days=1))] == [
            "redelivered"]

    assert prune_events(engine, timedelta(days=30)) == 1
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(ServiceEvent)) == 1


def test_recording_is_best_effort_when_the_database_is_down() -> None:
    # Nothing listens on port 1: the connection is refused at once.
    down = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/newsum")
    assert record_event(down, EventKind.TRANSIENT_FAULT, "database down") is False
    down.dispose()


def test_long_details_are_clipped_not_refused(engine: Engine) -> None:
    assert record_event(engine, EventKind.BAD_MESSAGE, "x" * 50_000, source="s" * 500)
    with session_factory(engine)() as session:
        event = session.scalars(select(ServiceEvent)).one()
    assert (len(event.detail), len(event.source)) == (2000, 200)
