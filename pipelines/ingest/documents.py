"""Help-desk data as it is exported: JSON responses, JSONL streams and folders of both.

A vendor's data comes in pieces: tickets or conversations in one response, their comments, users,
organisations or contacts in others (side-loads, separate endpoints, connector streams). `gather`
reads one file or every `.json`/`.jsonl`/`.ndjson` file under a folder and sorts each object into the
collection it belongs to, so a reader can join them the way the vendor meant.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.ingest.records import BadRecord, Notice, ShapeError, aware, folder_files

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
        """The objects of a collection keyed by their id (as a string); one whose id is not a string or a
        number cannot be referred to, and is left out."""
        return {key: item for _, item in self.of(collection) if (key := scalar(item.get("id"))) is not None}


def json_type(value: Any) -> str:
    """The kind of a JSON value, as an error message names it."""
    if isinstance(value, bool):
        return "true or false"
    kinds = ((str, "a string"), (int | float, "a number"), (list, "a list"), (dict, "an object"))
    return next((name for kind, name in kinds if isinstance(value, kind)), "null")


def scalar(value: Any) -> str | None:
    """An id or key as a string: a string or a number; None for anything else."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    return None


def obj(item: dict[str, Any], key: str) -> dict[str, Any]:
    """item[key] as an object; absent, null or empty is {}, any other kind of value a ShapeError."""
    value = item.get(key)
    if isinstance(value, dict):
        return value
    if not value:
        return {}
    raise ShapeError(f"{key} must be a JSON object, got {json_type(value)}")


def array(item: dict[str, Any], key: str) -> list[Any]:
    """item[key] as a list; absent, null or empty is [], any other kind of value a ShapeError."""
    value = item.get(key)
    if isinstance(value, list):
        return value
    if not value:
        return []
    raise ShapeError(f"{key} must be a list, got {json_type(value)}")


def files(path: Path) -> tuple[list[Path], list[Notice]]:
    """The JSON files of a path: itself, or every JSON file under a folder, sorted; and a Notice for each other
    file of the folder and each link not followed, naming it as not read."""
    if not path.is_dir():
        return [path], []
    found, skipped = folder_files(path, lambda _: True)
    other = [Notice(str(file), "not read: not a JSON file (.json, .jsonl, .ndjson)", not_read=True)
             for file in found if file.suffix.lower() not in JSON_SUFFIXES]
    return ([file for file in found if file.suffix.lower() in JSON_SUFFIXES],
            sorted(skipped + other, key=lambda notice: notice.source))


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
            continue
        readable, skipped = files(path)
        found.problems += skipped
        if not readable:
            found.problems.append(Notice(str(path), "the folder holds no .json or .jsonl files"))
        paths += readable
    for file in paths:
        try:
            text = file.read_text(encoding="utf-8-sig", errors="replace")
        except OSError as error:
            found.problems.append(BadRecord(str(file), f"cannot read the file: {error.strerror or error}"))
            continue
        if not text.strip():
            found.problems.append(Notice(str(file), "empty file", not_read=True))
            continue
        for source, document in _documents(file, text, found):
            _sort(source, document, collections, single, found)
    return found


def gathered(documents: Iterable[tuple[str, Any]], collections: dict[str, str], single: dict[str, str]) -> Gathered:
    """JSON documents already parsed (an API's responses, each with where it came from), sorted as `gather`
    sorts a file's."""
    found = Gathered()
    for source, document in documents:
        _sort(source, document, collections, single, found)
    return found


def _documents(file: Path, text: str, found: Gathered) -> Iterator[tuple[str, Any]]:
    """The file as one JSON document, else each of its lines as one (a JSONL stream)."""
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, RecursionError):  # a stream, or its first line nests too deeply: by line
        pass
    else:
        yield str(file), document
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield f"{file}:{number}", loads(line)
            except ValueError as error:
                found.problems.append(BadRecord(f"{file}:{number}", str(error)))


def loads(text: str) -> Any:
    """A JSON value; a ValueError that says why not, naming a value nested too deeply for the parser."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON ({error.msg})") from None
    except RecursionError:
        raise ValueError("not valid JSON (nested too deeply)") from None


def _sort(source: str, document: Any, collections: dict[str, str], single: dict[str, str], found: Gathered) -> None:
    if isinstance(document, list):  # a response that is a list of objects (a list within it is no record)
        for index, item in enumerate(document, start=1):
            if isinstance(item, dict):
                _sort(f"{source}#{index}", item, collections, single, found)
            else:
                found.problems.append(BadRecord(f"{source}#{index}", "expected a JSON object"))
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


def latest(items: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """One entry an id, in first-seen order: exports page through the same objects again, and a later copy's
    fields update an earlier one's (a search result lacks the side-loaded requester of the full ticket).
    Entries without a usable id are kept, to be reported."""
    latest: dict[str, tuple[str, dict[str, Any]]] = {}
    for index, (source, item) in enumerate(items):
        key = scalar(item.get("id")) or f"#{index}"
        latest[key] = (source, {**latest[key][1], **item}) if key in latest else (source, item)
    return list(latest.values())


def with_ids(items: list[tuple[str, dict[str, Any]]], what: str
              ) -> Iterator[tuple[str, dict[str, Any], str] | BadRecord]:
    """(source, object, id) of each object once (see latest), or a BadRecord for one without a usable id."""
    for source, item in latest(items):
        key = scalar(item.get("id"))
        if item.get("id") is None:
            yield BadRecord(source, f"a {what} needs an id")
        elif key is None:
            yield BadRecord(source, f"a {what}'s id must be a string or a number, got {json_type(item['id'])}")
        else:
            yield source, item, key


def when(value: Any) -> datetime | None:
    """An ISO 8601 string (a space for the T allowed) or a Unix timestamp, as an aware datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    if not isinstance(value, str):
        raise ValueError(f"a time is a string or a number, not {json_type(value)}")
    return aware(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
