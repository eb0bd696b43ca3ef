"""Derived OpenVINO graphs on disk: written atomically and sealed by sha256, used only while intact.

Two places hold them. A local cache (`cached_serving_graph`, `write_graph`) for graphs a machine built itself,
and the graphs shipped beside the artifacts (`models/artifacts/graphs/<key>/`, `shipped_graph`, `ship_graph`),
each sealed by a manifest like an artifact's and naming what it was built from, so that a machine without
PyTorch serves them as they are.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from models.artifacts import MANIFEST, ArtifactError, seal, sha256_file, verify

SHIPPED_DIR = Path(__file__).resolve().parent / "artifacts" / "graphs"
SHIPPED_KIND = "serving-graph"


def cached_serving_graph(target: Path) -> Path | None:
    """The graph at target if it is there and every file matches the sha256s sealed with it; None otherwise."""
    seal_file = target / "graph.sha256.json"
    if seal_file.is_file():
        sealed = json.loads(seal_file.read_text())
        if all((target / name).is_file() and sha256_file(target / name) == digest for name, digest in sealed.items()):
            return target
    return None


def write_graph(model: Any, target: Path, extra: dict[str, Any] | None = None) -> None:
    """Save an OpenVINO model (and `extra` as JSON files beside it) to target atomically, sealed by sha256."""
    import shutil
    import tempfile

    import openvino as ov

    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        ov.save_model(model, str(scratch / "model.xml"), compress_to_fp16=False)
        for name, content in (extra or {}).items():
            (scratch / name).write_text(json.dumps(content, indent=2))
        names = ("model.xml", "model.bin", *(extra or {}))
        digests = {name: sha256_file(scratch / name) for name in names}
        (scratch / "graph.sha256.json").write_text(json.dumps(digests, indent=2))
        if target.exists():
            shutil.rmtree(target)
        scratch.rename(target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def shipped_graph(key: str, built_from: dict[str, Any], shipped_dir: Path = SHIPPED_DIR) -> Path | None:
    """The shipped graph under key if it was built from exactly `built_from`; None if there is none.

    Raises ArtifactError if it is there but a byte differs from its manifest: a shipped graph is never
    silently replaced by another."""
    candidate = shipped_dir / key
    if not (candidate / MANIFEST).is_file():
        return None
    manifest = verify(candidate)
    if manifest["kind"] != SHIPPED_KIND or manifest.get("built_from") != built_from:
        return None
    return candidate


def ship_graph(model: Any, key: str, built_from: dict[str, Any], files: dict[str, Path],
               shipped_dir: Path = SHIPPED_DIR) -> Path:
    """Write an OpenVINO model to shipped_dir/key with its weights stored as fp16 (compiled to the serving
    precision at load, as any graph), the `files` copied beside it, sealed by a manifest; returns the folder."""
    import shutil
    import tempfile

    import openvino as ov

    shipped_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".shipping-", dir=shipped_dir))
    scratch.chmod(0o755)  # mkdtemp's 0700 would keep other users from serving it
    target = shipped_dir / key
    try:
        ov.save_model(model, str(scratch / "model.xml"), compress_to_fp16=True)
        for name, source in files.items():
            shutil.copyfile(source, scratch / name)
        seal(scratch, {"kind": SHIPPED_KIND, "version": key, "built_from": built_from, "weights": "fp16",
                       "openvino": ov.get_version()})
        if target.exists():
            shutil.rmtree(target)
        scratch.rename(target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if shipped_graph(key, built_from, shipped_dir) is None:
        raise ArtifactError(f"{target} does not read back as the graph just written")
    return target
