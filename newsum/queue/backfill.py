"""``newsum backfill``: queue the archive for summarisation, in constant memory.

Ids stream from the database by keyset pages (``stream_unsummarized_ids``) and go to the
queue in chunks; while the queue is deeper than ``queue_high_water`` the backfill waits,
so a million-article archive never sits in Redis at once. Articles with a current summary
(and, even with ``force``, those an editor approved or edited, unless ``override_review``)
are not streamed at all and ids already queued are not queued twice, so a stopped
backfill is finished by running it again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from tqdm import tqdm

from newsum.broker.enqueue import ChunkRun, Enqueuer, resolve_model_version_id
from newsum.broker.stats import queue_depth
from newsum.config import Settings
from newsum.db.engine import engine_for
from newsum.db.models import articles_table
from newsum.db.queries import count_unsummarized_ids, stream_unsummarized_ids


@dataclass(frozen=True)
class BackfillOptions:
    """Which articles a backfill covers and how."""

    since: datetime | None = None
    until: datetime | None = None
    section: str | None = None
    limit: int | None = None
    model_version: str | None = None
    force: bool = False
    override_review: bool = False
    dry_run: bool = False


@dataclass
class BackfillReport:
    """What a backfill did."""

    matched: int = 0
    seen: int = 0
    queued: int = 0
    already_queued: int = 0
    skipped: int = 0
    paused_s: float = 0.0
    dry_run: bool = False

    def summary_line(self) -> str:
        """The counts as one line for the terminal."""
        verb = "would queue" if self.dry_run else "queued"
        return (
            f"seen {self.seen}, {verb} {self.queued}, already queued {self.already_queued},"
            f" skipped (already summarised) {self.skipped}"
        )


def _ids(settings: Settings, options: BackfillOptions, version_id: int) -> Iterator[int]:
    engine = engine_for(settings.database_url)
    ids = stream_unsummarized_ids(
        engine, articles_table(settings.articles), version_id,
        since=options.since, until=options.until, section=options.section,
        include_current=options.force, override_review=options.override_review,
    )
    return islice(ids, options.limit)


def _count(settings: Settings, options: BackfillOptions, version_id: int, *,
           include_current: bool, override_review: bool) -> int:
    return count_unsummarized_ids(
        engine_for(settings.database_url), articles_table(settings.articles), version_id,
        since=options.since, until=options.until, section=options.section,
        include_current=include_current, override_review=override_review,
    )


def wait_below_high_water(settings: Settings, poll_s: float = 1.0,
                          bar: tqdm | None = None, run: ChunkRun | None = None) -> float:
    """Block while the queue, with the ids ``run`` is sending meanwhile, is deeper than
    the high-water mark (or until ``run`` stops); return seconds waited."""
    waited = 0.0
    run = run or ChunkRun()
    # The ids in flight are read before the queue: once on it, they are not counted twice.
    while (depth := run.sending + queue_depth(settings)) > settings.queue_high_water:
        if bar is not None:
            bar.set_postfix_str(f"paused, queue {depth} > {settings.queue_high_water}")
        if run.stopping.wait(poll_s):
            break
        waited += poll_s
    if waited and bar is not None:
        bar.set_postfix_str("")
    return waited


def _enqueuer(settings: Settings, options: BackfillOptions,
              version_id: int) -> AbstractContextManager[Enqueuer | None]:
    """One Enqueuer (one broker connection) for the whole run; none for a dry run."""
    if options.dry_run:
        return nullcontext()
    return Enqueuer(settings, model_version=version_id, force=options.force,
                    override_review=options.override_review)


def run_backfill(
    settings: Settings,
    options: BackfillOptions,
    *,
    progress: bool = False,
    poll_s: float = 1.0,
) -> BackfillReport:
    """Queue every matching article lacking a current summary; return the counts.

    Raises what :class:`~newsum.broker.enqueue.Enqueuer` raises (BrokerUnavailable...);
    what was queued before stays queued, and a re-run continues from there.
    """
    engine = engine_for(settings.database_url)
    version_id = resolve_model_version_id(engine, options.model_version)
    matched = _count(settings, options, version_id, include_current=True, override_review=True)
    todo = _count(settings, options, version_id, include_current=options.force,
                  override_review=options.override_review)
    total = min(todo, options.limit) if options.limit is not None else todo
    report = BackfillReport(matched=matched, dry_run=options.dry_run)
    report.skipped = matched - todo
    ids = _ids(settings, options, version_id)
    chunks = iter(lambda: list(islice(ids, settings.enqueue_chunk_size)), [])
    with (tqdm(total=total, unit="id", disable=not progress, dynamic_ncols=True) as bar,
          _enqueuer(settings, options, version_id) as enqueuer):
        if enqueuer is None:
            for chunk in chunks:
                report.seen += len(chunk)
                report.queued += len(chunk)
                bar.update(len(chunk))
            return report

        def pause(run: ChunkRun) -> None:
            report.paused_s += wait_below_high_water(settings, poll_s, bar, run)

        for chunk, result in enqueuer.enqueue_chunks(chunks, before_claim=pause):
            report.seen += len(chunk)
            report.queued += len(result.queued)
            report.already_queued += len(result.already_queued)
            bar.update(len(chunk))
    return report
