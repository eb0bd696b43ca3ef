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
from typing import Any

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
    ours: bool = False  # written by our own agents (help-desk role), not customer sentiment

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


def _json_records(path: Path, key: str) -> Iterator[tuple[str, Any] | BadRecord]:
    """Objects of a JSON export: a list, an object holding a list under `key`, or one object a line."""
    text = path.read_text(encoding="utf-8-sig")
    try:
        document = json.loads(text)
        items = document.get(key, [document]) if isinstance(document, dict) else document
        for index, item in enumerate(items, start=1):
            yield f"{path}#{index}", item
    except json.JSONDecodeError:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                yield f"{path}:{number}", json.loads(line)
            except json.JSONDecodeError as error:
                yield BadRecord(f"{path}:{number}", f"not valid JSON ({error.msg.removesuffix(' at')})")


def _export_objects(path: Path, key: str, what: str) -> Iterator[tuple[str, dict[str, Any]] | BadRecord]:
    """The objects of a help-desk export that have an `id`; anything else as a BadRecord naming it."""
    for item in _json_records(path, key):
        if isinstance(item, BadRecord):
            yield item
        elif not isinstance(item[1], dict) or "id" not in item[1]:
            yield BadRecord(item[0], f"a {what} needs an id")
        else:
            yield item


def _when(value: Any) -> datetime | None:
    """An ISO 8601 string or a Unix timestamp, as an aware datetime."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    return _aware(datetime.fromisoformat(str(value).replace("Z", "+00:00")))


def read_zendesk(path: Path) -> Iterator[Record]:
    """Zendesk tickets with their comments (JSON: `{"tickets": [...]}`, a list, or one ticket a line).

    A ticket: `id`, `subject`, optional `external_id` or `organization.external_id` (the account), and
    `comments`: each with `id`, `body` (or `html_body`), `created_at`, `public`, and `author` with `email`
    and `role` (`end-user`, `agent` or `admin`). Agents' and admins' comments are ours; private notes
    are skipped as ours too.
    """
    for item in _export_objects(path, "tickets", "ticket"):
        if isinstance(item, BadRecord):
            yield item
            continue
        source, ticket = item
        account = ticket.get("external_id") or (ticket.get("organization") or {}).get("external_id")
        for comment in ticket.get("comments") or []:
            where = f"{source} ticket {ticket['id']} comment {comment.get('id')}"
            author = comment.get("author") or {}
            body = comment.get("body") or comment.get("html_body") or ""
            if not body.strip():
                yield BadRecord(where, "the comment has no body")
                continue
            try:
                occurred_at = _when(comment.get("created_at"))
            except ValueError:
                yield BadRecord(where, f"created_at must be ISO 8601, got {comment.get('created_at')!r}")
                continue
            yield RawMessage(source=where, source_id=f"zendesk:{ticket['id']}:{comment.get('id')}", body=body,
                             kind="ticket", account=account, sender=author.get("email"), occurred_at=occurred_at,
                             subject=ticket.get("subject"),
                             ours=author.get("role") in ("agent", "admin") or comment.get("public") is False)


def read_intercom(path: Path) -> Iterator[Record]:
    """Intercom conversations (JSON: `{"conversations": [...]}`, a list, or one conversation a line).

    A conversation: `id`, `created_at` (Unix), `source` with `body` and `author` (`type`, `email`),
    `conversation_parts.conversation_parts[]` with `id`, `body`, `created_at`, `author`, and optionally
    `company.external_id` (the account). Parts by `admin` or `bot` authors are ours.
    """
    for item in _export_objects(path, "conversations", "conversation"):
        if isinstance(item, BadRecord):
            yield item
            continue
        source, conversation = item
        account = (conversation.get("company") or {}).get("external_id")
        first = conversation.get("source") or {}
        parts = [{"id": "source", "created_at": conversation.get("created_at"), **first},
                 *((conversation.get("conversation_parts") or {}).get("conversation_parts") or [])]
        for part in parts:
            body = part.get("body") or ""
            if not body.strip():
                continue  # assignments, closes and other parts without text
            author = part.get("author") or {}
            try:
                occurred_at = _when(part.get("created_at"))
            except (ValueError, OverflowError):
                yield BadRecord(f"{source} part {part.get('id')}",
                                f"created_at is not a time: {part.get('created_at')!r}")
                continue
            yield RawMessage(source=f"{source} part {part.get('id')}",
                             source_id=f"intercom:{conversation['id']}:{part.get('id')}", body=body, kind="chat",
                             account=account, sender=author.get("email"), occurred_at=occurred_at,
                             ours=author.get("type") in ("admin", "bot", "team"))


FRESHDESK_COLUMNS = ("Ticket ID", "Description", "Requester Email")


def read_freshdesk(path: Path) -> Iterator[Record]:
    """A Freshdesk ticket export (CSV): `Ticket ID`, `Subject`, `Description`, `Requester Email`,
    `Created time`, and optionally `Company` (the account's external id)."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in FRESHDESK_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            yield BadRecord(str(path), f"missing column(s) {', '.join(missing)}")
            return
        for number, row in enumerate(reader, start=2):
            source = f"{path}:{number}"
            if not (row.get("Description") or "").strip():
                yield BadRecord(source, "Description is empty")
                continue
            try:
                occurred_at = _when(row.get("Created time") or None)
            except ValueError:
                yield BadRecord(source, f"Created time must be ISO 8601, got {row.get('Created time')!r}")
                continue
            yield RawMessage(source=source, source_id=f"freshdesk:{row['Ticket ID']}", body=row["Description"],
                             kind="ticket", account=(row.get("Company") or None),
                             sender=row.get("Requester Email") or None, occurred_at=occurred_at,
                             subject=row.get("Subject") or None)


def _aware(moment: datetime) -> datetime:
    """A timestamp with a timezone; one given without is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
