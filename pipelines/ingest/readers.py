"""Reading any supported input: mail (`mail.py`), help-desk data (`helpdesk.py`), plain JSONL/CSV exports.

Each reader yields `RawMessage`s, or `BadRecord`s for what cannot be read, naming the file and the
row or message, so that one broken item never stops the rest. Every message carries a stable
`source_id` (the Message-ID, the export's id, or a hash of its content), which makes re-ingesting
the same export change nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from pipelines.ingest.helpdesk import read_freshdesk, read_intercom, read_zendesk
from pipelines.ingest.mail import read_eml, read_mbox
from pipelines.ingest.records import BadRecord, Notice, RawMessage, Record, aware, csv_rows

__all__ = ["BadRecord", "Notice", "RawMessage", "Record", "detect", "read", "read_all"]

PLAIN_COLUMNS = ("account", "text")


def detect(path: Path) -> str:
    """The format of a path from its name: eml (a file or a folder of them), mbox, jsonl or csv."""
    if path.is_dir():
        return "eml"  # a folder of .eml files or a Maildir
    suffix = path.suffix.lower()
    formats = {".eml": "eml", ".mbox": "mbox", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
    if suffix not in formats:
        raise ValueError(f"{path}: cannot tell the format from the name; give --format (eml, mbox, jsonl, csv, "
                         "zendesk, intercom, freshdesk)")
    return formats[suffix]


def read(path: Path, fmt: str | None = None) -> Iterator[Record]:
    """Every message in a path, in the given or detected format."""
    if not path.exists():
        yield BadRecord(str(path), "no such file or folder")
        return
    try:
        fmt = fmt or detect(path)
    except ValueError as error:
        yield BadRecord(str(path), str(error))
        return
    readers = {"eml": read_eml, "mbox": read_mbox, "jsonl": read_jsonl, "csv": read_csv,
               "zendesk": read_zendesk, "intercom": read_intercom, "freshdesk": read_freshdesk}
    yield from readers[fmt](path)


HELPDESK = {"zendesk": read_zendesk, "intercom": read_intercom, "freshdesk": read_freshdesk}


def read_all(paths: list[Path], fmt: str | None = None) -> Iterator[Record]:
    """Every message in several paths. A help-desk export's pieces (tickets here, audits or users there)
    are read together, so that they join."""
    if fmt in HELPDESK:
        yield from HELPDESK[fmt](paths)
        return
    for path in paths:
        yield from read(path, fmt)


def read_jsonl(path: Path) -> Iterator[Record]:
    """A JSON object a line with `account`, `text` and optionally `occurred_at`, `id`, `author`, `kind`."""
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            source = f"{path}:{number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                yield BadRecord(source, f"not valid JSON ({error.msg.removesuffix(' at')}) at column {error.colno}")
                continue
            if not isinstance(row, dict):
                yield BadRecord(source, "each line must be a JSON object")
                continue
            yield from_row(source, {k: None if v is None else str(v) for k, v in row.items()})


def read_csv(path: Path) -> Iterator[Record]:
    """A CSV with the columns `account`, `text` and optionally `occurred_at`, `id`, `author`, `kind`."""
    for item in csv_rows(path, PLAIN_COLUMNS):
        yield item if isinstance(item, BadRecord) else from_row(*item)


def from_row(source: str, row: dict[str, str | None]) -> Record:
    """A RawMessage from a plain export row, or why it cannot be one."""
    account, text = (row.get("account") or "").strip(), (row.get("text") or "").strip()
    if not account:
        return BadRecord(source, "account is empty")
    if not text:
        return BadRecord(source, "text is empty")
    occurred_at = None
    if row.get("occurred_at"):
        try:
            occurred_at = aware(datetime.fromisoformat(str(row["occurred_at"]).strip().replace("Z", "+00:00")))
        except ValueError:
            return BadRecord(source, f"occurred_at must be an ISO 8601 date-time, got {row['occurred_at']!r}")
    kind = (row.get("kind") or "email").strip()
    if kind not in ("email", "ticket", "call_note", "chat"):
        return BadRecord(source, f"kind must be one of email, ticket, call_note, chat, got {kind!r}")
    source_id = (row.get("id") or "").strip() or "sha256:" + hashlib.sha256(
        f"{account}\n{row.get('occurred_at') or ''}\n{text}".encode()).hexdigest()
    return RawMessage(source=source, source_id=source_id, body=text, kind=kind, account=account,
                      sender=(row.get("author") or None), occurred_at=occurred_at)
