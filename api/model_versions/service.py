"""The model registry in the database: registering, promoting, shadowing and rolling back versions.

Like every record module, these add and flush; the flow that calls them (a route, a command, a job) commits,
so registering and promoting the configured artifact (ensure_active) is one transaction."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import update
from sqlmodel import Session, col, select

from api.db import utcnow
from api.errors import ConflictError, NotFoundError
from api.model_versions.models import ModelStatus, ModelVersion
from models.artifacts import ArtifactError, manifest_digest, verify


def register(*, session: Session, directory: Path) -> ModelVersion:
    """Record an artifact directory as a model version (verifying it first); idempotent."""
    manifest = verify(directory)
    existing = session.get(ModelVersion, manifest["version"])
    if existing is not None:
        check_digest(existing, directory)
        if existing.artifact_path != str(directory):
            # The same immutable version found at a new place (a moved checkout): follow it.
            existing.artifact_path = str(directory)
            session.add(existing)
            session.flush()
        return existing
    version = ModelVersion(
        version=manifest["version"], kind=manifest["kind"], artifact_path=str(directory),
        artifact_sha256=manifest_digest(directory), metrics=manifest.get("metrics", {}),
        provenance={k: manifest.get(k) for k in ("data", "params", "command", "code_version", "licence")},
    )
    session.add(version)
    session.flush()
    return version


def check_digest(version: ModelVersion, directory: Path) -> None:
    """Refuse an artifact whose manifest differs from the one recorded when the version was registered.

    The manifest covers every file, so a re-sealed, altered directory is caught here even though its
    own manifest is consistent.
    """
    if manifest_digest(directory) != version.artifact_sha256:
        raise ArtifactError(f"{directory}: manifest sha256 differs from the one registered for {version.version}; "
                            "a version is immutable, so train and register a new one")


def get_all(*, session: Session) -> list[ModelVersion]:
    """Every model version, newest first."""
    return list(session.exec(select(ModelVersion).order_by(col(ModelVersion.created_at).desc())))


def get_active(*, session: Session) -> ModelVersion | None:
    """The version that scores new text, if one is active."""
    return session.exec(select(ModelVersion).where(ModelVersion.status == ModelStatus.ACTIVE)).first()


def get_verified(*, session: Session, version: str) -> ModelVersion:
    """A registered version whose artifact still matches its manifest and its registered digest."""
    target = session.get(ModelVersion, version)
    if target is None:
        raise NotFoundError(f"model version {version!r} not found")
    verify(Path(target.artifact_path))
    check_digest(target, Path(target.artifact_path))
    return target


def promote(*, session: Session, version: str) -> ModelVersion:
    """Make a version the active one; the previous active version is retired in the same commit.

    Not gated: api.lab.promotion compares a challenger with the active version first.
    """
    target = get_verified(session=session, version=version)
    session.execute(update(ModelVersion).where(col(ModelVersion.status) == ModelStatus.ACTIVE)
                    .where(col(ModelVersion.version) != version).values(status=ModelStatus.RETIRED))
    target.status = ModelStatus.ACTIVE
    target.promoted_at = utcnow()
    session.add(target)
    session.flush()
    return target


def previous(*, session: Session) -> ModelVersion | None:
    """The version that was active before the current one: the retired one promoted last."""
    return session.exec(select(ModelVersion).where(ModelVersion.status == ModelStatus.RETIRED)
                        .where(col(ModelVersion.promoted_at).is_not(None))
                        .order_by(col(ModelVersion.promoted_at).desc())).first()


def rollback(*, session: Session) -> ModelVersion:
    """Make the previously active version active again, at once (not gated: it is the way back)."""
    before = previous(session=session)
    if before is None:
        raise ConflictError("no earlier active version to roll back to")
    return promote(session=session, version=before.version)


def shadow(*, session: Session, version: str) -> ModelVersion:
    """Let a version score live traffic silently beside the active one, for comparison with people."""
    target = session.get(ModelVersion, version)
    if target is None:
        raise NotFoundError(f"model version {version!r} not found")
    if target.status == ModelStatus.ACTIVE:
        raise ConflictError(f"{version} is the active version; only another version can shadow it")
    target = get_verified(session=session, version=version)
    target.status = ModelStatus.SHADOW
    session.add(target)
    session.flush()
    return target


def shadows(*, session: Session) -> list[str]:
    """The versions scoring live traffic in shadow."""
    return list(session.exec(select(ModelVersion.version).where(ModelVersion.status == ModelStatus.SHADOW)))


def ensure_active(*, session: Session, directory: Path) -> ModelVersion:
    """Register the configured artifact and make it active when no version is active yet."""
    version = register(session=session, directory=directory)
    active = get_active(session=session)
    if active is None:
        return promote(session=session, version=version.version)
    return active
