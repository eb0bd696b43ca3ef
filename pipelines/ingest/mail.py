"""E-mail as it is really stored: .eml files of any case, Maildir folders, mbox archives.

Real mail is often broken in ways that still leave it readable, and then it is read:
- no Date, or one that cannot be parsed: the time comes from the newest `Received` header, else from
  the file's modification time, and the message says which (`date_source`);
- an unknown charset (`X-UNKNOWN`, `unknown-8bit`) is decoded as UTF-8, then Windows-1252, never dropped;
- a multipart message with a broken boundary falls back to its first text part, else its raw text;
- list-archive senders (`andy at example.com`) are read as addresses.
"""

from __future__ import annotations

import email
import hashlib
import mailbox
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message
from email.utils import parsedate_to_datetime
from pathlib import Path

from pipelines.ingest.addresses import sender_address
from pipelines.ingest.records import BadRecord, Notice, RawMessage, Record, aware, folder_files, unreadable

MAILDIR_PARTS = ("cur", "new")


def is_maildir(path: Path) -> bool:
    """A Maildir folder holds cur/, new/ and tmp/."""
    return path.is_dir() and all((path / part).is_dir() for part in ("cur", "new", "tmp"))


def is_mail(path: Path) -> bool:
    """A message file: `.eml` in any case, or a message of a Maildir."""
    return path.suffix.lower() == ".eml" or path.parent.name in MAILDIR_PARTS and is_maildir(path.parent.parent)


def read_eml(path: Path) -> Iterator[Record]:
    """One e-mail file, or every e-mail under a folder (sorted, so runs are repeatable; links out of it skipped)."""
    if not path.is_dir():
        yield read_file(path)
        return
    files, skipped = folder_files(path, is_mail)
    yield from skipped
    if not files:
        yield Notice(str(path), "the folder holds no e-mail (.eml files or a Maildir's cur/ and new/)")
    for file in files:
        yield read_file(file)


def read_file(file: Path) -> Record:
    """One e-mail file as a RawMessage, or a BadRecord saying why not."""
    try:
        raw = file.read_bytes()
    except OSError as error:
        return BadRecord(str(file), f"cannot read the file: {error.strerror or error}")
    return parse(str(file), raw, file_time=_mtime(file))


def read_mbox(path: Path) -> Iterator[Record]:
    """Every message of an mbox archive."""
    box = mailbox.mbox(str(path), create=False)
    try:
        keys = list(box.iterkeys())
        for index, key in enumerate(keys):
            yield parse(f"{path}#{index + 1}", box.get_bytes(key), file_time=_mtime(path))
    except OSError as error:
        yield BadRecord(str(path), f"cannot read the file: {error.strerror or error}")
        return
    finally:
        box.close()
    if not keys:
        yield Notice(str(path), "the mbox archive holds no messages")


def parse(source: str, raw: bytes, file_time: datetime | None = None) -> Record:
    """A message's bytes as a RawMessage; one that cannot be read at all as a BadRecord."""
    if not raw.strip():
        return BadRecord(source, "the file is empty")
    try:
        message = email.message_from_bytes(raw, policy=policy.default)
        body = body_text(message)
        if body is None:
            return BadRecord(source, "the e-mail has no text or HTML body")
        occurred_at, date_source = sent_time(message, file_time)
        message_id = header(message, "message-id", raw=False).strip() or "sha256:" + hashlib.sha256(raw).hexdigest()
        return RawMessage(source=source, source_id=message_id, body=body, kind="email",
                          sender=sender_address(header(message, "from")), occurred_at=occurred_at,
                          subject=header(message, "subject") or None, date_source=date_source)
    except Exception as error:  # noqa: BLE001 - the parser's hard failures on hostile mail end this message only
        return BadRecord(source, f"not a readable e-mail: {unreadable(error)}")


def header(message: EmailMessage, name: str, raw: bool = True) -> str:
    """A header's value as text. One the parser fails on (`Message-ID: <`, a From of 5,000 `(`) is taken as
    written when `raw`, else as absent (a Message-ID that cannot be read is no id to keep)."""
    try:
        return str(message.get(name, "") or "")
    except Exception:  # noqa: BLE001 - header parsing is lazy: its failures surface here, on first access
        return next((str(value) for key, value in message.raw_items() if key.lower() == name), "") if raw else ""


def body_text(message: EmailMessage) -> str | None:
    """The plain-text (else HTML) body, decoded leniently; None when the message has no text at all."""
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except (KeyError, ValueError, LookupError):
        part = None
    if part is None:  # a broken boundary hides the body from get_body: walk whatever parts were found
        part = next((p for p in message.walk() if p.get_content_maintype() == "text"), None)
    if part is None:
        payload = message.get_payload()
        if not isinstance(payload, str) or not payload.strip():
            return None
        return (salvaged(payload) if message.is_multipart() or message.get_content_maintype() == "multipart"
                else None) or payload
    return decoded(part)


BOUNDARY_LINE = re.compile(r"^--([^\s-][^\s]*?)(--)?\s*$", re.MULTILINE)


def salvaged(payload: str) -> str | None:
    """The text of a multipart body whose declared boundary is wrong: parsed again with the boundary its
    parts really use (the first `--boundary` line)."""
    found = BOUNDARY_LINE.search(payload)
    if not found:
        return None
    boundary = found.group(1)
    inner = email.message_from_string(f'Content-Type: multipart/mixed; boundary="{boundary}"\n\n{payload}',
                                      policy=policy.default)
    part = inner.get_body(preferencelist=("plain", "html")) if isinstance(inner, EmailMessage) else None
    return decoded(part) if part is not None else None


def decoded(part: Message) -> str:
    """A text part's content; an unknown or wrong charset falls back to UTF-8, then Windows-1252."""
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except (LookupError, ValueError, UnicodeError, AttributeError):
        pass
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def sent_time(message: EmailMessage, file_time: datetime | None) -> tuple[datetime | None, str]:
    """When the message was sent, and where that came from: header, received, file or import (not known)."""
    for name, kind in (("date", "header"), ("received", "received")):
        values = [str(value) for key, value in message.raw_items() if key.lower() == name]  # dates as written
        for value in values:  # the first Received header is the last hop: the delivery time
            moment = _date(value.rsplit(";", 1)[-1] if kind == "received" else value)
            if moment is not None:
                return moment, kind
    return (file_time, "file") if file_time else (None, "import")


def _date(value: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment is None or not 1970 <= moment.year <= 9998:
        return None
    return aware(moment)


def _mtime(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    except (OSError, OverflowError, ValueError):
        return None
