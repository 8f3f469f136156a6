"""``newsum api`` and ``newsum flower``: the two servers that face people and the CMS.

Neither is ever served without authentication: the API refuses to start without
``NEWSUM_API_TOKEN`` and Flower without ``NEWSUM_FLOWER_PASSWORD``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

import typer

from newsum.config import Settings, get_settings
from newsum.errors import ApiMisconfigured

CELERY_APP = "newsum.worker.celery_app:app"


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
    if "," in password or not settings.flower_user or set(settings.flower_user) & {":", ","}:
        raise ApiMisconfigured(
            "Flower's basic auth cannot hold ',' in the password nor ':' or ',' in the user:"
            " change NEWSUM_FLOWER_PASSWORD / NEWSUM_FLOWER_USER"
        )
    env = {k: v for k, v in environ.items() if not k.startswith("FLOWER_")}
    env["FLOWER_BASIC_AUTH"] = f"{settings.flower_user}:{password}"
    argv = [
        sys.executable, "-m", "celery", "-A", CELERY_APP, "flower",
        f"--port={settings.flower_port}",
        f"--address={settings.flower_host}",
        f"--logging={settings.log_level.lower()}",
    ]
    return FlowerLaunch(argv=argv, env=env)


def register_api(app: typer.Typer) -> None:
    """Attach ``newsum api`` and ``newsum flower`` to the root app."""

    @app.command("api")
    def api(
        host: Annotated[str | None, typer.Option(help="Bind address (NEWSUM_API_HOST).")] = None,
        port: Annotated[int | None, typer.Option(help="Port (NEWSUM_API_PORT).")] = None,
    ) -> None:
        """Serve the authenticated HTTP API the CMS calls."""
        import uvicorn

        from newsum.worker.api import create_app

        settings = get_settings()
        uvicorn.run(
            create_app(settings),
            host=host or settings.api_host,
            port=port or settings.api_port,
            log_level=settings.log_level.lower(),
            server_header=False,
        )

    @app.command("flower")
    def flower() -> None:
        """Start Flower (basic auth) on the broker, showing the summarize queue."""
        launch = flower_launch(get_settings(), os.environ)
        sys.stdout.flush()
        sys.stderr.flush()
        # Replace this process, so that signals reach Flower directly.
        os.execve(launch.argv[0], launch.argv, launch.env)
