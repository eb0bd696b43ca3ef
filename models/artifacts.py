"""Model artifacts on disk: safe formats only, sealed by a sha256 manifest that is checked at load.

An artifact directory holds `manifest.json` and the files it lists. Nothing is unpickled: arrays
are safetensors, everything else JSON or text. Loading refuses a directory whose files differ in
any byte from the manifest, or that holds a file the manifest does not list.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"


class ArtifactError(Exception):
    """The artifact is missing, tampered with, or not a Pulse model."""


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def seal(directory: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Write manifest.json listing every file in the directory with its sha256; return it."""
    files = {
        str(p.relative_to(directory)): sha256_file(p)
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }
    manifest = {**meta, "files": files}
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def verify(directory: Path) -> dict[str, Any]:
    """Check every file against the manifest and return the manifest; raise ArtifactError if not."""
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise ArtifactError(f"{directory} is not a model artifact: {MANIFEST} is missing")
    try:
        manifest: dict[str, Any] = json.loads(manifest_path.read_text())
        listed: dict[str, str] = manifest["files"]
        manifest["version"], manifest["kind"]  # noqa: B018 - both keys are required
    except (ValueError, KeyError, TypeError) as error:
        raise ArtifactError(f"{manifest_path} is not a valid manifest: {error}") from error
    present = {
        str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file() and p.name != MANIFEST
    }
    unexpected = sorted(present - set(listed))
    if unexpected:
        raise ArtifactError(f"{directory} holds files its manifest does not list: {', '.join(unexpected)}")
    for name, expected in listed.items():
        path = directory / name
        if not path.is_file():
            raise ArtifactError(f"{directory}: {name} is listed in the manifest but missing")
        if sha256_file(path) != expected:
            raise ArtifactError(f"{directory}: {name} does not match its sha256 in the manifest")
    return manifest


def manifest_digest(directory: Path) -> str:
    """The artifact's identity: the sha256 of its manifest, which covers every file."""
    return sha256_file(directory / MANIFEST)
