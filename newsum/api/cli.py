"""``newsum api`` and ``newsum flower``: the two servers that face people and the CMS.

Neither is ever served without authentication: the API refuses to start without
``NEWSUM_API_TOKEN`` and Flower without ``NEWSUM_FLOWER_PASSWORD``.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from newsum.cli_params import settings


def register(app: typer.Typer) -> None:
    """Attach ``newsum api`` and ``newsum flower`` to the root app."""

    @app.command("api")
    def api(
        host: Annotated[str | None, typer.Option(help="Bind address (NEWSUM_API_HOST).")] = None,
        port: Annotated[int | None, typer.Option(help="Port (NEWSUM_API_PORT).")] = None,
    ) -> None:
        """Serve the authenticated HTTP API the CMS calls."""
        import uvicorn

        from newsum.api.app import create_app

        config = settings()
        uvicorn.run(
            create_app(config),
            host=host or config.api_host,
            port=port or config.api_port,
            log_level=config.log_level.lower(),
            server_header=False,
        )

    @app.command("flower")
    def flower() -> None:
        """Start Flower (basic auth) on the broker, showing the summarize queue."""
        from newsum.api.flower import flower_launch

        launch = flower_launch(settings(), os.environ)
        sys.stdout.flush()
        sys.stderr.flush()
        # Replace this process, so that signals reach Flower directly.
        os.execve(launch.argv[0], launch.argv, launch.env)
