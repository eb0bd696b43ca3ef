"""Readers for .eml files and folders, .mbox archives, and plain JSONL/CSV exports.

Each reader yields `RawMessage`s, or `BadRecord`s for what cannot be read, naming the file and the
row or message, so that one broken item never stops the rest. Every message carries a stable
`source_id` (the Message-ID, the export's id, or a hash of its content), which makes re-ingesting
the same export change nothing.
"""

from __future__ import annotations

import csv
import email
import hashlib
import json
import mailbox
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

PLAIN_COLUMNS = ("account", "text")


@dataclass(frozen=True)
class RawMessage:
    """One message as found in a source, before matching, cleaning and scoring."""

    source: str
    source_id: str
    body: str
    kind: str = "email"
    account: str | None = None
    sender: str | None = None
    occurred_at: datetime | None = None
    subject: str | None = None

    @property
    def sender_domain(self) -> str | None:
        """The domain of the sender's address, lower-cased."""
        if not self.sender or "@" not in self.sender:
            return None
        return self.sender.rsplit("@", 1)[1].strip().strip(">").lower()


@dataclass(frozen=True)
class BadRecord:
    """Something that could not be read, and why."""

    source: str
    error: str


Record = RawMessage | BadRecord


def detect(path: Path) -> str:
    """The format of a path from its name: eml (a file or a folder of them), mbox, jsonl or csv."""
    if path.is_dir():
        return "eml"
    suffix = path.suffix.lower()
    formats = {".eml": "eml", ".mbox": "mbox", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
    if suffix not in formats:
        raise ValueError(f"{path}: cannot tell the format from the name; give --format (eml, mbox, jsonl, csv)")
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
    readers = {"eml": read_eml, "mbox": read_mbox, "jsonl": read_jsonl, "csv": read_csv}
    yield from readers[fmt](path)


def read_eml(path: Path) -> Iterator[Record]:
    """One .eml file, or every .eml file under a folder (sorted, so runs are repeatable)."""
    files = sorted(p for p in path.rglob("*.eml") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        try:
            raw = file.read_bytes()
            message = email.message_from_bytes(raw, policy=policy.default)
            yield from_email(str(file), message, raw)
        except (ValueError, LookupError, OSError) as error:
            yield BadRecord(str(file), f"not a readable e-mail: {error}")


def read_mbox(path: Path) -> Iterator[Record]:
    """Every message of an mbox archive."""
    box = mailbox.mbox(str(path), create=False)
    try:
        for index, key in enumerate(box.iterkeys()):
            source = f"{path}#{index + 1}"
            try:
                raw = box.get_bytes(key)
                message = email.message_from_bytes(raw, policy=policy.default)
                yield from_email(source, message, raw)
            except (ValueError, LookupError) as error:
                yield BadRecord(source, f"not a readable e-mail: {error}")
    finally:
        box.close()


def from_email(source: str, message: EmailMessage, raw: bytes) -> Record:
    """A RawMessage from a parsed e-mail: its text (or HTML) body, sender, date and Message-ID."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return BadRecord(source, "the e-mail has no text or HTML body")
    body = part.get_content()
    senders = getaddresses([str(message.get("from", ""))])
    message_id = str(message.get("message-id", "")).strip() or "sha256:" + hashlib.sha256(raw).hexdigest()
    occurred_at = None
    if message.get("date"):
        try:
            occurred_at = _aware(parsedate_to_datetime(str(message["date"])))
        except (TypeError, ValueError):
            return BadRecord(source, f"Date must be an RFC 2822 date, got {str(message['date'])!r}")
    return RawMessage(source=source, source_id=message_id, body=body, kind="email",
                      sender=senders[0][1] if senders and senders[0][1] else None, occurred_at=occurred_at,
                      subject=str(message.get("subject", "")) or None)


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
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in PLAIN_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            yield BadRecord(str(path), f"missing column(s) {', '.join(missing)}; found "
                                       f"{', '.join(reader.fieldnames or []) or 'no header'}")
            return
        for number, row in enumerate(reader, start=2):
            yield from_row(f"{path}:{number}", row)


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
            occurred_at = _aware(datetime.fromisoformat(str(row["occurred_at"]).strip().replace("Z", "+00:00")))
        except ValueError:
            return BadRecord(source, f"occurred_at must be an ISO 8601 date-time, got {row['occurred_at']!r}")
    kind = (row.get("kind") or "email").strip()
    if kind not in ("email", "ticket", "call_note", "chat"):
        return BadRecord(source, f"kind must be one of email, ticket, call_note, chat, got {kind!r}")
    source_id = (row.get("id") or "").strip() or "sha256:" + hashlib.sha256(
        f"{account}\n{row.get('occurred_at') or ''}\n{text}".encode()).hexdigest()
    return RawMessage(source=source, source_id=source_id, body=text, kind=kind, account=account,
                      sender=(row.get("author") or None), occurred_at=occurred_at)


def _aware(moment: datetime) -> datetime:
    """A timestamp with a timezone; one given without is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
