"""Finding and loading model versions from artifact directories."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models import baseline
from models.artifacts import ArtifactError, verify
from models.classifier import Classifier

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
DEFAULT_POINTER = ARTIFACTS_DIR / "DEFAULT"


def shipped_default() -> Path:
    """The artifact directory of the model that ships with Pulse."""
    name = DEFAULT_POINTER.read_text().strip()
    return ARTIFACTS_DIR / name


def load(directory: Path, backend: str = "serving", threads: int | None = None) -> tuple[Classifier, dict[str, Any]]:
    """Verify an artifact directory against its manifest and load the classifier it holds.

    `backend` matters for transformers only: "serving" is the fast path, "reference" the fp32 model.
    """
    manifest = verify(directory)
    kind = manifest["kind"]
    if kind == baseline.KIND:
        return baseline.TfidfClassifier.load(directory, manifest["version"]), manifest
    if kind == "transformer-lora":
        from models.transformer import TransformerClassifier  # torch and onnxruntime load only when needed

        return TransformerClassifier.load(directory, manifest["version"], backend, threads), manifest
    raise ArtifactError(f"{directory}: unknown model kind {kind!r}")
