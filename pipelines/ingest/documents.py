"""Help-desk data as it is exported: JSON responses, JSONL streams and folders of both.

A vendor's data comes in pieces: tickets or conversations in one response, their comments, users,
organisations or contacts in others (side-loads, separate endpoints, connector streams). `gather`
reads one file or every `.json`/`.jsonl`/`.ndjson` file under a folder and sorts each object into the
collection it belongs to, so a reader can join them the way the vendor meant.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.ingest.records import BadRecord, Notice, aware

JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")


@dataclass
class Gathered:
    """Objects by collection name (tickets, users, ...), each with where it was read; and the problems."""

    items: dict[str, list[tuple[str, dict[str, Any]]]] = field(default_factory=dict)
    problems: list[BadRecord | Notice] = field(default_factory=list)

    def add(self, collection: str, source: str, item: Any) -> None:
        if isinstance(item, dict):
            self.items.setdefault(collection, []).append((source, item))
        else:
            self.problems.append(BadRecord(source, f"an entry of {collection} must be a JSON object"))

    def of(self, collection: str) -> list[tuple[str, dict[str, Any]]]:
        return self.items.get(collection, [])

    def by_id(self, collection: str) -> dict[str, dict[str, Any]]:
        """The objects of a collection keyed by their id (as a string)."""
        return {str(item["id"]): item for _, item in self.of(collection) if item.get("id") is not None}


def files(path: Path) -> list[Path]:
    """The JSON files of a path: itself, or every JSON file under a folder, sorted."""
    if not path.is_dir():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in JSON_SUFFIXES)


def gather(where: Path | Sequence[Path], collections: dict[str, str], single: dict[str, str]) -> Gathered:
    """Read every object under one path or several, joined (tickets in one file, their audits in another).

    `collections` maps a list key of a response (`tickets`, `users`) or a connector stream name to the
    collection it fills; `single` maps a key that holds one object (`ticket`) likewise. A bare object
    is classified by `classify` in the caller; here it is kept under "_bare".
    """
    found = Gathered()
    paths: list[Path] = []
    for path in [where] if isinstance(where, Path) else where:
        if not path.exists():
            found.problems.append(BadRecord(str(path), "no such file or folder"))
        elif not files(path):
            found.problems.append(Notice(str(path), "the folder holds no .json or .jsonl files"))
        paths += files(path) if path.exists() else []
    for file in paths:
        try:
            text = file.read_text(encoding="utf-8-sig", errors="replace")
        except OSError as error:
            found.problems.append(BadRecord(str(file), f"cannot read the file: {error.strerror or error}"))
            continue
        for source, document in _documents(file, text, found):
            _sort(source, document, collections, single, found)
    return found


def _documents(file: Path, text: str, found: Gathered) -> Iterator[tuple[str, Any]]:
    try:
        yield str(file), json.loads(text)
        return
    except json.JSONDecodeError:
        pass
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield f"{file}:{number}", json.loads(line)
            except json.JSONDecodeError as error:
                found.problems.append(BadRecord(f"{file}:{number}", f"not valid JSON ({error.msg})"))


def _sort(source: str, document: Any, collections: dict[str, str], single: dict[str, str], found: Gathered) -> None:
    if isinstance(document, list):
        for index, item in enumerate(document, start=1):
            _sort(f"{source}#{index}", item, collections, single, found)
        return
    if not isinstance(document, dict):
        found.problems.append(BadRecord(source, "expected a JSON object or a list of them"))
        return
    stream = document.get("stream")
    if isinstance(stream, str) and isinstance(document.get("data"), dict):  # a connector record
        found.add(collections.get(stream, stream), source, document["data"])
        return
    listed = False
    for key, collection in collections.items():
        value = document.get(key)
        if isinstance(value, dict) and isinstance(value.get(key), list):  # Intercom: {"conversation_parts": {...}}
            continue
        if isinstance(value, list):
            listed = True
            for index, item in enumerate(value, start=1):
                found.add(collection, f"{source} {key}[{index}]", item)
    for key, collection in single.items():
        if isinstance(document.get(key), dict):
            listed = True
            found.add(collection, f"{source} {key}", document[key])
    if not listed:
        found.add("_bare", source, document)


def when(value: Any) -> datetime | None:
    """An ISO 8601 string (a space for the T allowed) or a Unix timestamp, as an aware datetime."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    return aware(datetime.fromisoformat(str(value).strip().replace("Z", "+00:00")))
