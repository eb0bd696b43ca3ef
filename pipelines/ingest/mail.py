"""E-mail as it is really stored: .eml files of any case, Maildir, MH, notmuch and mu folders, mbox archives.

A folder is read whole, and whether a file is mail is decided by what it holds, not by its name: a file
that starts with e-mail headers is a message, one that starts with an mbox `From ` line and then headers
is an archive. Every other file is named in the report with why it was not read (not mail, empty, too
large, unreadable, a Maildir's `tmp/`), so a folder's files are all accounted for.

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
import io
import itertools
import mailbox
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import BinaryIO

from pipelines.ingest.addresses import sender_address
from pipelines.ingest.records import (
    MAX_MESSAGE_BYTES,
    BadRecord,
    Notice,
    RawMessage,
    Record,
    aware,
    folder_files,
    unreadable,
)

HEAD_BYTES = 64 * 1024
"""How much of a file is read to tell whether it is mail."""

HEADER = re.compile(rb"([!-9;-~]+)[ \t]*:")
"""A header field's name and colon (RFC 5322: printable ASCII but the colon; obsolete syntax allows blanks)."""

MAIL_HEADERS = frozenset({b"from", b"sender", b"date", b"message-id", b"received", b"return-path", b"delivered-to",
                          b"subject", b"to", b"mime-version"})
"""A file is mail when its headers include one of these: `unseen: 1-3` (MH's .mh_sequences) has the form of a
header, but no message's."""


def is_maildir(path: Path) -> bool:
    """A Maildir folder holds cur/, new/ and tmp/."""
    return path.is_dir() and all((path / part).is_dir() for part in ("cur", "new", "tmp"))


PARSED_HEADERS = frozenset({b"subject", b"from", b"message-id", b"content-type", b"content-disposition",
                            b"content-transfer-encoding"})
"""The header fields the reader has the e-mail parser interpret, in a message and in its parts (the others are
kept as written or not read at all, so a To of many recipients costs nothing)."""
MAX_HEADER_BYTES = 8 * 1024
"""The longest of those fields a message is read with. The parser's time grows with the square of a field's
length (a 1 MB Subject of words took 24 s, a part's 100 KB Content-Type 11 s, a megabyte of encoded words more
memory than the machine had); no real message needs one this long."""
MAX_PARSED_HEADER_BYTES = 256 * 1024
"""Those fields' bytes together, across a message's parts, so thousands of parts cannot add up what one cannot."""


def sniff(head: bytes, complete: bool = True) -> str | None:
    """What the start of a file is: "mail" (e-mail headers), "mbox" (an mbox `From ` line, then headers), or
    None. `complete` is False when `head` is only the first part of the file (its last line may be cut)."""
    if head.startswith(b"From "):
        return "mbox" if _headers(head.partition(b"\n")[2], complete) else None
    return "mail" if _headers(head, complete) else None


def _headers(head: bytes, complete: bool) -> bool:
    lines = head.split(b"\n")
    names = set()
    for number, line in enumerate(lines if complete else lines[:-1]):
        line = line.rstrip(b"\r")
        if not line:  # the blank line that ends the headers
            break
        if line[:1] in (b" ", b"\t"):  # a folded header goes on
            if number == 0:
                return False
            continue
        found = HEADER.match(line)
        if found is None:
            return False
        names.add(found.group(1).lower())
    return bool(names & MAIL_HEADERS)


def sniff_file(path: Path) -> str | None:
    """What a file holds by its start (see `sniff`); None also when it cannot be read."""
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError:
        return None
    return sniff(head, complete=len(head) < HEAD_BYTES)


def read_eml(path: Path) -> Iterator[Record]:
    """One e-mail file, or every file under a folder (sorted, so runs are repeatable; links out of it skipped):
    its messages when it holds mail, else a Notice naming it and why it was not read."""
    if not path.is_dir():
        yield read_file(path)
        return
    files, skipped = folder_files(path, lambda _: True)
    yield from skipped
    mail = False
    for file in files:
        for record in read_found(file):
            mail = mail or not isinstance(record, Notice)
            yield record
    if not mail:
        yield Notice(str(path), "the folder holds no e-mail (no file in it starts with e-mail headers)")


def read_found(file: Path) -> Iterator[Record]:
    """A file found in a folder: a message, an mbox archive's messages, or a Notice saying why it was not read."""
    if file.parent.name == "tmp" and is_maildir(file.parent.parent):
        yield Notice(str(file), "not read: in a Maildir's tmp/, where messages are still being delivered",
                     not_read=True)
        return
    try:
        with file.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
            kind = sniff(head, complete=len(head) < HEAD_BYTES)
            raw = _bounded(handle, head) if kind == "mail" else b""
    except OSError as error:
        yield Notice(str(file), f"unreadable: {error.strerror or error}", not_read=True)
        return
    if len(head) < HEAD_BYTES and not head.strip():
        yield Notice(str(file), "empty file", not_read=True)
    elif kind is None:
        yield Notice(str(file), "not mail: it does not start with e-mail headers", not_read=True)
    elif kind == "mbox":
        yield from read_mbox(file)
    elif isinstance(raw, int):
        yield Notice(str(file), too_large(raw), not_read=True)
    else:
        yield parse(str(file), raw, file_time=_mtime(file))


def read_file(file: Path) -> Record:
    """One e-mail file as a RawMessage, a BadRecord saying why not, or a Notice for one too large to read."""
    try:
        with file.open("rb") as handle:
            raw = _bounded(handle, b"")
    except OSError as error:
        return BadRecord(str(file), f"cannot read the file: {error.strerror or error}")
    if isinstance(raw, int):
        return Notice(str(file), too_large(raw), not_read=True)
    return parse(str(file), raw, file_time=_mtime(file))


def _bounded(handle: BinaryIO, head: bytes) -> bytes | int:
    """The whole file, of which `head` was read already; or its size when that is over MAX_MESSAGE_BYTES, which
    is then never read into memory."""
    size = os.fstat(handle.fileno()).st_size
    if size > MAX_MESSAGE_BYTES:
        return size
    raw = head + handle.read(MAX_MESSAGE_BYTES + 1 - len(head))  # the file may have grown since
    return raw if len(raw) <= MAX_MESSAGE_BYTES else max(size, len(raw))


def too_large(size: int) -> str:
    """Why a message was not read: its size against the limit."""
    return f"too large ({size:,} bytes, limit {MAX_MESSAGE_BYTES:,})"


def read_mbox(path: Path) -> Iterator[Record]:
    """Every message of an mbox archive."""
    box = mailbox.mbox(str(path), create=False)
    try:
        keys = list(box.iterkeys())
        for index, key in enumerate(keys):
            with box.get_file(key) as part:  # a message over the limit is never read into memory
                raw, size = part.read(MAX_MESSAGE_BYTES + 1), 0
                if len(raw) > MAX_MESSAGE_BYTES:
                    part.seek(0, os.SEEK_END)
                    size = part.tell()
            yield (BadRecord(f"{path}#{index + 1}", too_large(size)) if size
                   else parse(f"{path}#{index + 1}", raw, file_time=_mtime(path)))
    except OSError as error:
        yield BadRecord(str(path), f"cannot read the file: {error.strerror or error}")
        return
    finally:
        box.close()
    if not keys:
        yield Notice(str(path), "the mbox archive holds no messages", not_read=True)


def parse(source: str, raw: bytes, file_time: datetime | None = None) -> Record:
    """A message's bytes as a RawMessage; one that cannot be read at all as a BadRecord."""
    if not raw.strip():
        return BadRecord(source, "the file is empty")
    too_long = oversized_header(raw)
    if too_long:
        return BadRecord(source, f"not read: {too_long}")
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


def oversized_header(raw: bytes) -> str | None:
    """Why a message's headers are too long to hand to the parser, or None: a field it interprets
    (PARSED_HEADERS) over MAX_HEADER_BYTES, or such fields over MAX_PARSED_HEADER_BYTES together. Read before
    parsing, as lines: the message's header block, and the lines after each `--` line (a part's headers) up
    to the first line that is not a header."""
    total, in_block, name, size = 0, True, b"", 0
    for line in itertools.chain(io.BytesIO(raw), [b""]):  # the blank line after the last ends its field
        line = line.rstrip(b"\r\n")
        field = HEADER.match(line) if in_block and line[:1] not in (b" ", b"\t") else None
        if in_block and line[:1] in (b" ", b"\t") and name:
            size += len(line)  # a folded field goes on
            continue
        if name in PARSED_HEADERS:  # the field before ends here
            total += size
            if size > MAX_HEADER_BYTES or total > MAX_PARSED_HEADER_BYTES:
                label = "-".join(w.capitalize() for w in name.decode().split("-")).replace("Id", "ID")
                return (f"its {label} header is {size:,} bytes (limit {MAX_HEADER_BYTES:,})"
                        if size > MAX_HEADER_BYTES else
                        f"its headers' parsed fields add up to over {MAX_PARSED_HEADER_BYTES:,} bytes")
        name, size = (field.group(1).lower(), len(line)) if field else (b"", 0)
        in_block = field is not None or (not in_block and line.startswith(b"--"))
    return None


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
