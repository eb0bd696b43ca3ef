"""The model registry in the database, and the holder that keeps the active classifier loaded."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from sqlalchemy import update
from sqlmodel import Session, col, select

from api.db import utcnow
from api.errors import ConflictError, NotFoundError
from api.model_versions.models import ModelStatus, ModelVersion
from models import registry
from models.artifacts import ArtifactError, manifest_digest, verify
from models.batching import MicroBatcher
from models.classifier import Classifier

log = logging.getLogger("pulse.models")


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
            session.commit()
        return existing
    version = ModelVersion(
        version=manifest["version"], kind=manifest["kind"], artifact_path=str(directory),
        artifact_sha256=manifest_digest(directory), metrics=manifest.get("metrics", {}),
        provenance={k: manifest.get(k) for k in ("data", "params", "command", "code_version", "licence")},
    )
    session.add(version)
    session.commit()
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


def promote(*, session: Session, version: str, holder: ModelHolder | None = None,
            force: bool = False) -> ModelVersion:
    """Make a version the active one; the previous active version is retired in the same commit.

    With a holder to score with, a challenger whose macro-F1 on the latest confirmed labels is below
    the active version's is refused unless `force`; the refusal names both figures.
    """
    target = session.get(ModelVersion, version)
    if target is None:
        raise NotFoundError(f"model version {version!r} not found")
    verify(Path(target.artifact_path))
    check_digest(target, Path(target.artifact_path))
    champion = get_active(session=session)
    if holder is not None and not force and champion is not None and champion.version != version:
        from api.model_versions.compare import compare

        result = compare(session=session, champion=champion, challenger=target, holder=holder)
        if "macro_f1_difference" in result and result["macro_f1_difference"]["value"] < 0:
            low, high = result["macro_f1_difference"]["ci"]
            raise ConflictError(
                f"{version} scores macro-F1 {result['challenger']['macro_f1']} on the latest {result['n']} confirmed "
                f"labels, below the active {champion.version} ({result['champion']['macro_f1']}; difference 95% "
                f"interval {low:+.4f} to {high:+.4f}); promote with force to override")
    session.execute(update(ModelVersion).where(col(ModelVersion.status) == ModelStatus.ACTIVE)
                    .where(col(ModelVersion.version) != version).values(status=ModelStatus.RETIRED))
    target.status = ModelStatus.ACTIVE
    target.promoted_at = utcnow()
    session.add(target)
    session.commit()
    session.refresh(target)
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
    return promote(session=session, version=before.version, force=True)


def shadow(*, session: Session, version: str) -> ModelVersion:
    """Let a version score live traffic silently beside the active one, for comparison with people."""
    target = session.get(ModelVersion, version)
    if target is None:
        raise NotFoundError(f"model version {version!r} not found")
    if target.status == ModelStatus.ACTIVE:
        raise ConflictError(f"{version} is the active version; only another version can shadow it")
    verify(Path(target.artifact_path))
    check_digest(target, Path(target.artifact_path))
    target.status = ModelStatus.SHADOW
    session.add(target)
    session.commit()
    session.refresh(target)
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


class ModelHolder:
    """Loads each model version once and hands out the one the database says is active.

    Every worker process asks the database which version is active, so a promotion reaches all
    workers on their next request without a restart.
    """

    def __init__(self, batch_max_texts: int = 0, batch_max_wait_s: float = 0.002) -> None:
        # batch_max_texts > 0: concurrent requests share model calls through a MicroBatcher.
        self._loaded: dict[str, Classifier] = {}
        self._lock = threading.Lock()
        self._batch_max_texts = batch_max_texts
        self._batch_max_wait_s = batch_max_wait_s

    def load(self, version: ModelVersion) -> Classifier:
        """The classifier for a version, loading and verifying its artifact the first time."""
        with self._lock:
            if version.version not in self._loaded:
                classifier, manifest = registry.load(Path(version.artifact_path))
                check_digest(version, Path(version.artifact_path))
                if manifest["version"] != version.version:
                    raise ArtifactError(f"{version.artifact_path} holds {manifest['version']}, not {version.version}")
                if self._batch_max_texts > 0:
                    classifier = MicroBatcher(classifier, self._batch_max_texts, self._batch_max_wait_s)
                self._loaded[version.version] = classifier
                log.info("model loaded", extra={"model_version": version.version})
            return self._loaded[version.version]

    def active(self, session: Session) -> Classifier:
        """The active classifier."""
        version = get_active(session=session)
        if version is None:
            raise ArtifactError("no model version is active; run `pulse models promote VERSION`")
        return self.load(version)
