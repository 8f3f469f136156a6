"""The Celery application of newsum, configured from :class:`~newsum.config.Settings`.

All Celery configuration lives in :func:`celery_config`, under Celery's own setting
names. ``app`` is the application the workers and ``celery -A newsum.broker.app``
use; :func:`celery_app_for` builds one for other settings (tests, the API, enqueue).

Deployment: one worker process per GPU (``newsum worker`` runs a prefork pool of one
child, or the solo pool). The model is loaded in the process that uses it, never in the
parent before a fork (see :mod:`newsum.worker.runtime`).
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from newsum.config import Settings, get_settings, is_redis_url

TASK_SUMMARIZE = "newsum.summarize"
TASK_SWEEP = "newsum.sweep"
# The workers run both: every summarize message, and the sweep beat sends.
TASK_MODULES = ["newsum.worker.tasks", "newsum.worker.sweep"]


def broker_transport_options(settings: Settings) -> dict[str, Any]:
    """Options of the Redis transport (kombu), shared by broker and result backend.

    The embedded SQL broker of ``newsum demo`` (``sqla+...``) takes none of them.
    """
    if not is_redis_url(settings.broker_url):
        return {}
    return {
        # Redis has no real acknowledgement: a message a worker took stays in an
        # "unacked" hash and is handed out again once this many seconds pass without an
        # ack. It must be longer than the longest batch, or a slow but healthy batch is
        # redelivered to a second worker and generated twice.
        "visibility_timeout": settings.visibility_timeout_s,
        # Every key the broker writes starts with this prefix, so deployments (and test
        # runs) sharing one Redis server never see each other's queues.
        "global_keyprefix": settings.broker_key_prefix,
        # How often a worker looks for messages whose holder died (older than the
        # visibility timeout) and puts them back: kombu's default scans every 100 s; a
        # scan is one indexed range query, so every few seconds costs nothing.
        "unacked_restore_interval": max(1, min(10, settings.visibility_timeout_s // 4)),
        "unacked_restore_throttle": 1,
        "socket_connect_timeout": settings.broker_connect_timeout_s,
        # A Redis that accepts connections but does not answer (paused, a half-open
        # link) fails a command after this instead of blocking its thread forever.
        "socket_timeout": settings.broker_read_timeout_s,
    }


def celery_config(settings: Settings) -> dict[str, Any]:
    """The whole Celery configuration for ``settings``, with Celery's setting names."""
    transport = broker_transport_options(settings)
    return {
        "broker_url": settings.broker_url,
        # kombu's Redis transport, except that junk pushed onto the queue is dropped
        # instead of stopping the worker (see newsum.worker.transport); other brokers
        # (the demo's embedded SQL one) keep the transport their URL names.
        "broker_transport": (
            "newsum.worker.transport:Transport" if is_redis_url(settings.broker_url) else None
        ),
        "broker_transport_options": transport,
        "broker_connection_timeout": settings.broker_connect_timeout_s,
        "broker_connection_retry_on_startup": True,
        "result_backend": settings.result_backend,
        "result_backend_transport_options": transport,
        "task_ignore_result": settings.result_backend is None,
        # JSON only: a pickled message is refused by kombu before it is deserialised.
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        "task_default_queue": settings.queue_name,
        "task_routes": {
            TASK_SUMMARIZE: {"queue": settings.queue_name},
            TASK_SWEEP: {"queue": settings.queue_name},
        },
        # Acknowledge after the batch is written, and requeue when the worker dies, so a
        # killed worker loses nothing (upserts make the redelivery harmless).
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        # celery-batches only flushes by size when a whole batch can be held unacked, so
        # the prefetch is counted in batches: the setting says how many batches one
        # process holds (two: the next one fills while one generates), which keeps a
        # deep backfill queue in Redis, not in a worker.
        "worker_prefetch_multiplier": settings.batch_size * settings.worker_prefetch_multiplier,
        "task_soft_time_limit": settings.task_soft_time_limit_s,
        "task_time_limit": settings.task_time_limit_s,
        # A prefork child loads the model before it reports ready; Celery's default of
        # 4 s would kill it mid-load.
        "worker_proc_alive_timeout": settings.model_load_timeout_s,
        # `newsum reload` restarts the pool so that children load the promoted version.
        "worker_pool_restarts": True,
        # A batch running when the broker connection drops is redelivered anyway (late
        # ack); cancelling it avoids a second, concurrent write of the same summaries.
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        # Workers report task events (Flower's task views); the sender does not: a
        # "task-sent" event per message would double the cost of every enqueue.
        "worker_send_task_events": True,
        "task_send_sent_event": False,
        "beat_schedule": {
            "newsum-sweep": {"task": TASK_SWEEP, "schedule": float(settings.sweeper_interval_s)},
        },
        "beat_schedule_filename": str(settings.data_dir / "celerybeat-schedule"),
        "worker_redirect_stdouts_level": "INFO",
    }


def make_celery(settings: Settings) -> Celery:
    """A Celery application configured from ``settings`` (tasks are imported lazily)."""
    celery = Celery("newsum", include=TASK_MODULES)
    celery.conf.update(celery_config(settings))
    celery.newsum_settings = settings  # type: ignore[attr-defined]
    return celery


_apps: dict[str, Celery] = {}


def celery_app_for(settings: Settings) -> Celery:
    """The (cached) application for ``settings``; the module's ``app`` for the defaults."""
    key = settings.model_dump_json()
    if key not in _apps:
        _apps[key] = make_celery(settings)
    return _apps[key]


def app_settings(celery: Celery) -> Settings:
    """The settings an application was built from."""
    return celery.newsum_settings  # type: ignore[attr-defined,no-any-return]




def worker_argv(settings: Settings, *, pool: str = "prefork", hostname: str | None = None
                ) -> list[str]:
    """Command line of one worker process: one GPU, one generating process, fair scheduling.

    ``prefork`` keeps one child (the model loads in it after the fork, and Celery enforces
    the time limits there); ``solo`` generates in the consuming process itself.
    """
    if pool not in ("prefork", "solo"):
        raise ValueError(f"pool must be prefork or solo, not {pool!r}")
    argv = [
        "worker",
        f"--pool={pool}",
        "--concurrency=1",
        f"--queues={settings.queue_name}",
        "-O", "fair",
        f"--loglevel={settings.log_level}",
    ]
    if hostname:
        argv.append(f"--hostname={hostname}")
    return argv


def __getattr__(name: str) -> Celery:
    """``app``: the application of the process's settings, built on first use (so that
    importing this module reads no settings; ``celery -A newsum.broker.app`` works)."""
    if name == "app":
        return celery_app_for(get_settings())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
