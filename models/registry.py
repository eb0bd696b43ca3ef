"""Finding and loading model versions from artifact directories."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from models.artifacts import ArtifactError, verify
from models.classifier import Classifier
from models.options import ServingOptions

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
DEFAULT_POINTER = ARTIFACTS_DIR / "DEFAULT"
BASELINE_KIND = "tfidf-logreg"  # models.baseline.KIND, named here so scikit-learn loads only for a baseline
TRANSFORMER_KIND = "transformer-lora"  # models.transformer.KIND
MULTILINGUAL_KIND = "multilingual-router"  # models.multilingual.KIND: a transformer under english/
ADAPTED_KIND = "adapted-head"  # models.adapted.KIND: a base version under base/ and a team's head


def shipped_default() -> Path:
    """The artifact directory of the model that ships with Pulse."""
    name = DEFAULT_POINTER.read_text().strip()
    return ARTIFACTS_DIR / name


def transformer_within(directory: Path) -> Path | None:
    """The transformer artifact a model serves through (itself, an adapted version's base's, or a router's English
    model), each level verified; None if it has none."""
    kind = verify(directory)["kind"]
    if kind == ADAPTED_KIND:
        return transformer_within(directory / "base")
    if kind == MULTILINGUAL_KIND:
        return transformer_within(directory / "english")
    return directory if kind == TRANSFORMER_KIND else None


def prepare(directory: Path | str, options: ServingOptions | None = None) -> None:
    """Build whatever a model derives before serving (a transformer's serving graph); idempotent."""
    found, options = transformer_within(Path(directory)), options or ServingOptions()
    if found is None:
        return
    import json

    from models.transformer import CONFIG, int8_graph, serving_graph, serving_precision

    config = json.loads((found / CONFIG).read_text())
    serving_graph(found, config, options.cache_dir)
    if serving_precision(options)[0] == "int8":
        try:
            int8_graph(found, config, options.cache_dir)
        except ArtifactError:
            pass  # refused and remembered: the model serves f32, and says why


def ship_graph(directory: Path | str, shipped_dir: Path | None = None) -> list[Path]:
    """Write the serving graph of the transformer in an artifact beside the shipped artifacts
    (models/artifacts/graphs/), so that it serves without PyTorch; needs the training install. Returns the folders."""
    found = transformer_within(Path(directory))
    if found is None:
        return []
    from models.graphs import SHIPPED_DIR
    from models.transformer import ship_serving_graph

    return [ship_serving_graph(found, shipped_dir or SHIPPED_DIR)]


def is_prepared(directory: Path | str, options: ServingOptions | None = None) -> bool:
    """Whether `prepare` has nothing left to do (checked in this process, without torch)."""
    found = transformer_within(Path(directory))
    if found is None:
        return True
    from models.transformer import has_serving_graph

    return has_serving_graph(found, options or ServingOptions())


def prepare_isolated(directory: Path, options: ServingOptions | None = None,
                     env: dict[str, str] | None = None) -> float:
    """Run `prepare` in a child process, so that torch (needed to build) never enters the caller.

    A model already prepared costs no child process. Returns the seconds it took; raises ArtifactError
    with the child's error output if it failed.
    """
    started = time.perf_counter()
    options = options or ServingOptions()
    if is_prepared(directory, options):
        return time.perf_counter() - started
    child = ("import sys; from models.options import ServingOptions; from models.registry import prepare; "
             "prepare(sys.argv[1], ServingOptions.from_json(sys.argv[2]))")
    result = subprocess.run([sys.executable, "-c", child, str(directory), options.to_json()],
                            capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise ArtifactError(f"could not prepare {directory}: {result.stderr.strip()[-1500:]}")
    return time.perf_counter() - started


def load(directory: Path, backend: str = "serving", threads: int | None = None,
         options: ServingOptions | None = None) -> tuple[Classifier, dict[str, Any]]:
    """Verify an artifact directory against its manifest and load the classifier it holds.

    `backend` matters for transformers only: "serving" is the fast path, "reference" the fp32 model.
    """
    manifest = verify(directory)
    kind = manifest["kind"]
    if kind == BASELINE_KIND:
        from models.baseline import TfidfClassifier

        return TfidfClassifier.load(directory, manifest["version"]), manifest
    if kind == TRANSFORMER_KIND:
        from models.transformer import TransformerClassifier  # torch and onnxruntime load only when needed

        return TransformerClassifier.load(directory, manifest["version"], backend, threads, options), manifest
    if kind == MULTILINGUAL_KIND:
        from models.multilingual import MultilingualRouter

        return MultilingualRouter.load(directory, manifest["version"], backend, threads, options), manifest
    if kind == ADAPTED_KIND:
        from models.adapted import AdaptedClassifier

        base, base_manifest = load(directory / "base", backend, threads, options)
        return AdaptedClassifier.load(directory, manifest["version"], base, base_manifest), manifest
    raise ArtifactError(f"{directory}: unknown model kind {kind!r}")
