"""Flower as newsum runs it: on newsum's broker, every page behind basic auth.

Whoever can use Flower controls the workers (it can send any task, ``override_review``
included, and shut workers down), so its password is a secret of at least 16 characters
shared with no other setting, and it binds to localhost unless told otherwise.

``newsum flower`` runs this module in place of ``celery flower``. It is Celery's own
command line, with one change to Flower: its Prometheus endpoint (``/metrics``), which
Flower serves to anyone even when basic auth is on, requires the same credentials as
every other page (``/healthcheck``, which answers "OK" and nothing else, stays open); and
Flower's app uses kombu's standard Redis transport so that Flower recognises the broker.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass

from newsum.config import Settings, secret_problem
from newsum.errors import ApiMisconfigured

CELERY_APP = "newsum.broker.app:app"
_OVERRIDDEN = frozenset({"FLOWER_BASIC_AUTH", "FLOWER_UNAUTHENTICATED_API"})


@dataclass(frozen=True)
class FlowerLaunch:
    """The command line and environment that start Flower."""

    argv: list[str]
    env: dict[str, str]


def flower_launch(settings: Settings, environ: Mapping[str, str]) -> FlowerLaunch:
    """How to start Flower on newsum's broker with basic auth; raises ApiMisconfigured.

    The credentials go through Flower's own ``FLOWER_BASIC_AUTH`` variable, never the
    command line, where any local user could read them in the process list. Flower splits
    that variable on commas and the pair on the first colon, hence the checks.
    """
    password = settings.flower_password.get_secret_value() if settings.flower_password else ""
    if not password:
        raise ApiMisconfigured(
            "Flower is never served without authentication: set NEWSUM_FLOWER_PASSWORD"
        )
    problem = secret_problem(settings)
    if problem:
        raise ApiMisconfigured(problem)
    if "," in password or not settings.flower_user or set(settings.flower_user) & {":", ","}:
        raise ApiMisconfigured(
            "Flower's basic auth cannot hold ',' in the password nor ':' or ',' in the user:"
            " change NEWSUM_FLOWER_PASSWORD / NEWSUM_FLOWER_USER"
        )
    # An inherited FLOWER_UNAUTHENTICATED_API would open Flower's HTTP API to anyone.
    env = {k: v for k, v in environ.items() if k not in _OVERRIDDEN}
    env["FLOWER_BASIC_AUTH"] = f"{settings.flower_user}:{password}"
    argv = [
        sys.executable, "-m", "newsum.queue.flower", "-A", CELERY_APP, "flower",
        f"--port={settings.flower_port}",
        f"--address={settings.flower_host}",
        f"--logging={settings.log_level.lower()}",
    ]
    return FlowerLaunch(argv=argv, env=env)


def require_auth_on_metrics() -> None:
    """Put Flower's /metrics handler behind Flower's authentication, like its other pages."""
    from flower.views.monitor import Metrics
    from tornado import web

    if not getattr(Metrics.get, "newsum_authenticated", False):
        guarded = web.authenticated(Metrics.get)
        guarded.newsum_authenticated = True  # type: ignore[attr-defined]
        Metrics.get = guarded  # type: ignore[method-assign]


def use_standard_redis_transport() -> None:
    """Give Flower's Celery app kombu's own Redis transport, not the worker's.

    Flower reads queue lengths from Redis itself and recognises the broker by the scheme
    of the app's broker URI; with the worker's transport class that URI names the class,
    and Flower's broker page and queue API answer "broker is not supported". Flower never
    consumes the summarize queue, so it has no use for the worker's junk-tolerant channel.
    """
    from newsum.broker.app import app

    app.conf.broker_transport = None


def main() -> None:
    """Celery's command line (``celery -A ... flower ...``) with the locked-down Flower."""
    from celery.bin.celery import main as celery_main

    require_auth_on_metrics()
    use_standard_redis_transport()
    sys.exit(celery_main())


if __name__ == "__main__":
    main()
