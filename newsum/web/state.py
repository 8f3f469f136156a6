"""What every route of the HTTP API shares, and the dependency that hands it to a route."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine, Table
from sqlalchemy.orm import Session, sessionmaker

from newsum.config import Settings


@dataclass(frozen=True)
class ApiState:
    """What the routes share: settings, the database, the CMS's article table."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    articles: Table


def api_state(request: Request) -> ApiState:
    """The state the app was built with (``app.state.newsum``)."""
    return request.app.state.newsum


State = Annotated[ApiState, Depends(api_state)]
