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

from pipelines.ingest.documents import json_type
from pipelines.ingest.helpdesk import read_freshdesk, read_intercom, read_zendesk
from pipelines.ingest.mail import read_eml, read_mbox, sniff_file
from pipelines.ingest.records import SPECIAL, BadRecord, Notice, RawMessage, Record, aware, csv_rows, shielded

__all__ = ["BadRecord", "Notice", "RawMessage", "Record", "detect", "read", "read_all"]

PLAIN_COLUMNS = ("account", "text")
PLAIN_FIELDS = ("account", "text", "occurred_at", "id", "author", "kind")


def detect(path: Path) -> str:
    """The format of a path from its name: eml (a file, or a folder read whole), mbox, jsonl or csv; a file
    whose name does not say (an MH message `1`, a Maildir's `1700000000.M1P2.host:2,S`) by its content."""
    if path.is_dir():
        return "eml"  # a folder of mail in any layout: .eml files, Maildir, MH, notmuch, mu
    suffix = path.suffix.lower()
    formats = {".eml": "eml", ".mbox": "mbox", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
    if suffix not in formats and (found := sniff_file(path)):
        return {"mail": "eml", "mbox": "mbox"}[found]
    if suffix not in formats:
        raise ValueError(f"{path}: cannot tell the format from the name; give --format (eml, mbox, jsonl, csv, "
                         "zendesk, intercom, freshdesk)")
    return formats[suffix]


def read(path: Path, fmt: str | None = None) -> Iterator[Record]:
    """Every message in a path, in the given or detected format."""
    if not path.exists():
        yield BadRecord(str(path), "no such file or folder")
        return
    if not path.is_dir() and not path.is_file():  # opening a pipe would wait for a writer for ever
        yield BadRecord(str(path), SPECIAL)
        return
    try:
        fmt = fmt or detect(path)
    except ValueError as error:
        yield BadRecord(str(path), str(error))
        return
    readers = {"eml": read_eml, "mbox": read_mbox, "jsonl": read_jsonl, "csv": read_csv,
               "zendesk": read_zendesk, "intercom": read_intercom, "freshdesk": read_freshdesk}
    yield from shielded(str(path), readers[fmt](path))  # the last resort: the next path is read whatever happens


HELPDESK = {"zendesk": read_zendesk, "intercom": read_intercom, "freshdesk": read_freshdesk}


def read_all(paths: list[Path], fmt: str | None = None) -> Iterator[Record]:
    """Every message in several paths. A help-desk export's pieces (tickets here, audits or users there)
    are read together, so that they join."""
    if fmt in HELPDESK:
        yield from shielded(", ".join(map(str, paths)), HELPDESK[fmt](paths))
        return
    for path in paths:
        yield from read(path, fmt)


def read_jsonl(path: Path) -> Iterator[Record]:
    """A JSON object a line with `account`, `text` and optionally `occurred_at`, `id`, `author`, `kind`."""
    try:
        handle = path.open("rb")
    except OSError as error:
        yield BadRecord(str(path), f"cannot read the file: {error.strerror or error}")
        return
    with handle:
        for number, raw in enumerate(handle, start=1):
            source = f"{path}:{number}"
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as error:  # one line's bytes, not the rest of the file
                yield BadRecord(source, f"not UTF-8 text (byte 0x{raw[error.start]:02x} at column {error.start + 1})")
                continue
            if line.strip():
                yield from shielded(source, iter([_jsonl_row(source, line)]))


def _jsonl_row(source: str, line: str) -> Record:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        return BadRecord(source, f"not valid JSON ({error.msg.removesuffix(' at')}) at column {error.colno}")
    except RecursionError:
        return BadRecord(source, "not valid JSON (nested too deeply)")
    if not isinstance(row, dict):
        return BadRecord(source, "each line must be a JSON object")
    fields = {key: row.get(key) for key in PLAIN_FIELDS}
    wrong = next((key for key, value in fields.items() if isinstance(value, dict | list)), None)
    if wrong:
        return BadRecord(source, f"{wrong} must be a string, got {json_type(fields[wrong])}")
    return from_row(source, {k: None if v is None else str(v) for k, v in fields.items()})


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
        f"{account}\n{row.get('occurred_at') or ''}\n{text}".encode("utf-8", "surrogatepass")).hexdigest()
    return RawMessage(source=source, source_id=source_id, body=text, kind=kind, account=account,
                      sender=(row.get("author") or None), occurred_at=occurred_at)
