"""kombu's Redis transport, made to survive a message that is not a kombu JSON envelope.

Anything can push onto a Redis list. kombu decodes each popped item with ``json.loads``
inside the worker's event loop, so a single non-JSON item (or JSON that is no message)
raises there and stops the whole worker. This channel logs and drops such an item
instead; it was already popped, so there is nothing to requeue and no article id to
record. Well-formed messages are untouched: JSON-only content and the refusal of pickled
bodies stay with Celery (``accept_content``).
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.transport import redis

log = logging.getLogger(__name__)


class Channel(redis.Channel):
    """A Redis channel that drops undecodable queue items instead of crashing."""

    def _brpop_read(self, **options: Any) -> bool:
        try:
            return bool(super()._brpop_read(**options))
        except (ValueError, TypeError, KeyError) as exc:
            # ValueError covers invalid JSON and invalid UTF-8; TypeError/KeyError a JSON
            # value that is not a message envelope.
            log.error("dropped an item on the queue that is not a task message: %r", exc)
            _record_dropped(exc)
            return True


def _record_dropped(exc: Exception) -> None:
    """Tell ``newsum status`` about the dropped item (best effort)."""
    from newsum.broker.app import app, app_settings
    from newsum.db.engine import engine_for
    from newsum.db.events import EventKind, record_event

    settings = app_settings(app)
    record_event(engine_for(settings.database_url), EventKind.BAD_MESSAGE,
                 f"an item on the queue that is not a task message was dropped: {exc!r}"[:500])


class Transport(redis.Transport):
    """kombu's Redis transport with :class:`Channel`."""

    Channel = Channel
