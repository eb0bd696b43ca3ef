"""The model versions loaded in this process, and the one the database says is active."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from sqlmodel import Session

from api.model_versions.models import ModelVersion
from api.model_versions.service import check_digest, get_active
from models import registry
from models.artifacts import ArtifactError
from models.batching import MicroBatcher
from models.classifier import Classifier
from models.options import ServingOptions

log = logging.getLogger("pulse.models")


class ModelHolder:
    """Loads each model version once and hands out the one the database says is active.

    Every worker process asks the database which version is active, so a promotion reaches all
    workers on their next request without a restart.
    """

    def __init__(self, serving: ServingOptions, batch_max_texts: int = 0, batch_max_wait_s: float = 0.002) -> None:
        # batch_max_texts > 0: concurrent requests share model calls through a MicroBatcher.
        self._serving = serving
        self._loaded: dict[str, Classifier] = {}
        self._lock = threading.Lock()
        self._batch_max_texts = batch_max_texts
        self._batch_max_wait_s = batch_max_wait_s

    def load(self, version: ModelVersion) -> Classifier:
        """The classifier for a version, loading and verifying its artifact the first time."""
        with self._lock:
            if version.version not in self._loaded:
                classifier, manifest = registry.load(Path(version.artifact_path), options=self._serving)
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
