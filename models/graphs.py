"""Derived OpenVINO graphs on disk: written atomically and sealed by sha256, used only while intact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from models.artifacts import sha256_file


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
