"""Which model a command means: an artifact directory, a registered version, or the active one."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session

from api.db import make_engine
from api.errors import NotFoundError
from api.model_versions.holder import ModelHolder
from api.model_versions.models import ModelVersion
from api.model_versions.service import get_active
from models import registry
from models.classifier import Classifier
from models.options import ServingOptions


def registered_version(spec: str | None, database_url: str) -> ModelVersion | None:
    """The registry's record of a version (the active one when spec is None), if there is a registry."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).is_file()):
        return None  # no database yet: do not create one just to look
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return get_active(session=session) if spec is None else session.get(ModelVersion, spec)
    except (OperationalError, ProgrammingError):
        return None
    finally:
        engine.dispose()


def artifact_directory(spec: str | None, database_url: str, default: Path) -> Path:
    """The artifact directory a spec names: itself, a registered version's, else the active or default one."""
    if spec and Path(spec).is_dir():
        return Path(spec)
    version = registered_version(spec, database_url)
    return Path(version.artifact_path) if version else default


def load_classifier(spec: str | None, database_url: str, default: Path, serving: ServingOptions) -> Classifier:
    """A classifier from an artifact directory, a registered version, or by default the active one.

    Without a registry (or an active version) the default is `default` (PULSE_MODEL_DIR or the shipped
    model). A spec that is neither a directory nor a registered version raises NotFoundError; an artifact
    that fails its checks raises ArtifactError.
    """
    if spec and Path(spec).is_dir():
        return registry.load(Path(spec), options=serving)[0]
    version = registered_version(spec, database_url)
    if version is not None:
        return ModelHolder(serving).load(version)
    if spec is not None:
        raise NotFoundError(f"model {spec!r} is neither an artifact directory nor a registered version")
    return registry.load(default, options=serving)[0]
