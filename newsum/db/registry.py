"""The model-version registry: which adapters exist and which one the workers serve."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from newsum.db.models import ModelVersion, utcnow
from newsum.errors import NoActiveModelVersion, UnknownModelVersion


def register_model_version(
    session: Session,
    *,
    name: str,
    adapter_path: str,
    base_model: str,
    manifest: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
) -> ModelVersion:
    """Add a model version (or refresh the one of the same name); it starts inactive."""
    version = session.scalars(select(ModelVersion).where(ModelVersion.name == name)).one_or_none()
    if version is None:
        version = ModelVersion(name=name, is_active=False)
        session.add(version)
    version.adapter_path = adapter_path
    version.base_model = base_model
    version.manifest = manifest or {}
    version.metrics = metrics or {}
    session.flush()
    return version


def find_model_version(session: Session, name_or_id: str | int) -> ModelVersion:
    """The model version with this name (or numeric id); raises UnknownModelVersion."""
    query = select(ModelVersion).where(ModelVersion.name == str(name_or_id))
    version = session.scalars(query).one_or_none()
    if version is None and str(name_or_id).isdigit():
        version = session.get(ModelVersion, int(name_or_id))
    if version is None:
        raise UnknownModelVersion(
            f"no model version named {name_or_id!r}; `newsum adapters list` shows them"
        )
    return version


def promote_model_version(session: Session, name_or_id: str | int) -> ModelVersion:
    """Make one version the active one; every other version becomes inactive."""
    version = find_model_version(session, name_or_id)
    session.execute(
        update(ModelVersion).where(ModelVersion.id != version.id).values(is_active=False)
    )
    version.is_active = True
    version.promoted_at = utcnow()
    session.flush()
    return version


def resolve_model_version(session: Session, version: str | int | None) -> ModelVersion:
    """A version given by name (str) or id (int), or the active one when ``version`` is
    None. Raises UnknownModelVersion or NoActiveModelVersion."""
    if version is None:
        return active_model_version(session)
    if isinstance(version, int):
        found = session.get(ModelVersion, version)
        if found is None:
            raise UnknownModelVersion(f"no model version with id {version}")
        return found
    return find_model_version(session, version)


def active_model_version(session: Session) -> ModelVersion:
    """The version workers serve; raises NoActiveModelVersion when none is promoted."""
    version = session.scalars(
        select(ModelVersion).where(ModelVersion.is_active.is_(True))
    ).one_or_none()
    if version is None:
        raise NoActiveModelVersion(
            "no model version is active: train one (`newsum train`), then"
            " `newsum adapters register DIR` and `newsum adapters promote NAME`"
        )
    return version


def list_model_versions(session: Session) -> list[ModelVersion]:
    """Every registered version, newest first."""
    return list(
        session.scalars(select(ModelVersion).order_by(ModelVersion.created_at.desc()))
    )
