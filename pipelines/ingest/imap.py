"""Mail from an IMAP mailbox, read from where the last run stopped, in bounded steps.

Each folder keeps a checkpoint: its UIDVALIDITY and the last UID read. A step lists the UIDs above the
last one (UID SEARCH), asks for their sizes first (RFC822.SIZE) so that a message over the size limit is
named and never loaded, and fetches the others with BODY.PEEK[] (the mailbox's \\Seen flags are left as
they are) in chunks of bounded bytes. Each message's bytes go through the same parser as `.eml` files
(`pipelines.ingest.mail.parse`). A changed UIDVALIDITY means the server renumbered the folder: it is read
again from the start, and the store's idempotency (Message-ID per account) keeps that from duplicating.

Transport: `imaps://` is TLS from the first byte (port 993), `imap://` upgrades with STARTTLS (port 143)
and fails if the server cannot; both verify the certificate against the system's CAs, or a private CA
file. Plain text is only for a loopback address, and only when asked for (`tls="none"`).
"""

from __future__ import annotations

import contextlib
import imaplib
import ipaddress
import re
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from pipelines.ingest.mail import parse
from pipelines.ingest.records import Notice, Record

SECURITY = ("tls", "starttls", "none")
DEFAULT_PORTS = {"tls": 993, "starttls": 143, "none": 143}
FETCH_CHUNK_BYTES = 8 * 1024 * 1024  # one UID FETCH of bodies asks for at most this much (or one message)
FETCH_CHUNK_MESSAGES = 50
SEARCH_WINDOW = 10_000  # UIDs one UID SEARCH covers: its answer stays far below imaplib's 1 MB line limit


class MailboxError(Exception):
    """A mailbox that cannot be read now (wrong password, no server, a vanished folder); the message names no
    secret and is safe to store and show."""


@dataclass(frozen=True)
class Mailbox:
    """Where a mailbox is and how to reach it; never the secret."""

    host: str
    user: str
    folders: tuple[str, ...] = ("INBOX",)
    port: int = 993
    tls: str = "tls"  # tls, starttls or none (loopback only)
    auth: str = "password"  # password or xoauth2
    ca_file: str | None = None

    def config(self) -> dict[str, Any]:
        """The mailbox as a source's JSON config."""
        return {"host": self.host, "user": self.user, "folders": list(self.folders), "port": self.port,
                "tls": self.tls, "auth": self.auth, "ca_file": self.ca_file}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Mailbox:
        """The mailbox a source's config describes."""
        return cls(host=config["host"], user=config["user"], folders=tuple(config["folders"]), port=config["port"],
                   tls=config["tls"], auth=config["auth"], ca_file=config.get("ca_file"))

    def display(self) -> str:
        """The mailbox as people see it: scheme, user, host, port and folders."""
        scheme = "imaps" if self.tls == "tls" else "imap"
        port = "" if self.port == DEFAULT_PORTS[self.tls] else f":{self.port}"
        return f"{scheme}://{self.user}@{self.host}{port}/{','.join(self.folders)}"


def mailbox_from_url(url: str, *, tls: str | None = None, auth: str = "password",
                     ca_file: str | None = None) -> Mailbox:
    """A mailbox from `imaps://user@host[:port]/FOLDER` (or `imap://` for STARTTLS); a ValueError says what is
    wrong. A password in the URL is refused: it would be stored and shown."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("imap", "imaps"):
        raise ValueError(f"a mailbox URL starts with imaps:// (TLS) or imap:// (STARTTLS), got {url[:200]!r}")
    if parts.password is not None:
        raise ValueError("the URL holds a password: put it in an environment variable and name that variable "
                         "(--password-env), so that it is never stored or shown")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"the URL's port is not a port number: {url[:200]!r}") from None
    if not parts.hostname or not parts.username:
        raise ValueError(f"a mailbox URL names the user and the host (imaps://user@host/INBOX), got {url[:200]!r}")
    chosen = tls or ("tls" if parts.scheme == "imaps" else "starttls")
    if chosen not in SECURITY:
        raise ValueError(f"tls is one of {', '.join(SECURITY)}, got {chosen!r}")
    if chosen == "none" and not _loopback(parts.hostname):
        raise ValueError("plain-text IMAP (tls none) is only for a loopback address: a password or token would "
                         "cross the network unencrypted")
    if auth not in ("password", "xoauth2"):
        raise ValueError(f"auth is password or xoauth2, got {auth!r}")
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    if any(ord(c) < 32 for c in folder) or len(folder) > 500:
        raise ValueError("the folder name holds control characters or is over 500 characters")
    return Mailbox(host=parts.hostname, user=unquote(parts.username), folders=(folder,),
                   port=port or DEFAULT_PORTS[chosen], tls=chosen, auth=auth, ca_file=ca_file)


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Bounded:
    """imaplib reads a literal of whatever size the server announces: this refuses one over `max_literal`, so a
    hostile or broken server cannot make a read hold more than the size limit (and a little) in memory."""

    max_literal = 10 * 1024 * 1024

    def read(self, size: int) -> bytes:
        if size > self.max_literal:
            raise imaplib.IMAP4.abort(f"the server sent a {size:,}-byte literal, over the {self.max_literal:,}-byte "
                                      "limit")
        return super().read(size)  # type: ignore[misc, no-any-return]


class _BoundedIMAP4(_Bounded, imaplib.IMAP4):
    pass


class _BoundedIMAP4SSL(_Bounded, imaplib.IMAP4_SSL):
    pass


def connect(box: Mailbox, secret: str, *, timeout_s: float, ca_file: str | None = None,
            max_literal: int = 10 * 1024 * 1024) -> imaplib.IMAP4:
    """A signed-in connection, with every socket operation bounded by `timeout_s` and every literal the server
    sends by `max_literal` bytes."""
    where = f"{box.host}:{box.port}"
    try:
        context = ssl.create_default_context(cafile=box.ca_file or ca_file) if box.tls != "none" else None
    except (OSError, ssl.SSLError) as error:
        raise MailboxError(f"the CA file {box.ca_file or ca_file} cannot be read as PEM certificates "
                           f"({type(error).__name__})") from None
    try:
        if box.tls == "tls":
            conn: imaplib.IMAP4 = _BoundedIMAP4SSL(box.host, box.port, ssl_context=context, timeout=timeout_s)
        else:
            conn = _BoundedIMAP4(box.host, box.port, timeout=timeout_s)
            if box.tls == "starttls":
                conn.starttls(ssl_context=context)
    except ssl.SSLCertVerificationError as error:
        raise MailboxError(f"{where}: the server's certificate is not trusted ({error.verify_message}); for a "
                           "private CA give its file (--ca-file or PULSE_IMAP_CA_FILE)") from None
    except (OSError, imaplib.IMAP4.error) as error:
        raise MailboxError(f"{where}: cannot connect ({_reason(error, secret)})") from None
    conn.max_literal = max_literal  # type: ignore[attr-defined]
    try:
        if box.auth == "xoauth2":
            token = f"user={box.user}\x01auth=Bearer {secret}\x01\x01".encode()
            conn.authenticate("XOAUTH2", lambda _challenge: token)
        else:
            conn.login(box.user, secret)
    except (OSError, imaplib.IMAP4.error) as error:
        _close(conn)
        raise MailboxError(f"{where}: sign-in as {box.user!r} refused ({_reason(error, secret)})") from None
    return conn


def _reason(error: BaseException, secret: str) -> str:
    """An error's text for people, with the secret (should a server ever echo it) cut out."""
    text = error.args[0] if error.args else error
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    shown = (str(text) or type(error).__name__)[:300]
    return shown.replace(secret, "***") if secret else shown


def _close(conn: imaplib.IMAP4) -> None:
    with contextlib.suppress(OSError, imaplib.IMAP4.error):
        conn.logout()


@dataclass
class MailboxReader:
    """One bounded step of reading a mailbox: the messages above each folder's checkpoint, at most `budget`.

    `records()` yields each message (or a notice about one that is not read) and then moves `checkpoint` past
    them; the caller saves it once what was yielded is stored. `more` says whether messages are left.
    """

    box: Mailbox
    secret: str
    checkpoint: dict[str, Any]
    budget: int = 200
    max_bytes: int = 10 * 1024 * 1024
    timeout_s: float = 60.0
    ca_file: str | None = None
    more: bool = False
    too_large: int = 0
    notes: list[str] = field(default_factory=list)
    parse_s: float = 0.0  # of the time spent in records(), what parsing took (the rest is the server and network)

    def records(self) -> Iterator[Record]:
        """Every message of this step, oldest UID first, folder by folder."""
        conn = connect(self.box, self.secret, timeout_s=self.timeout_s, ca_file=self.ca_file,
                       max_literal=self.max_bytes + 64 * 1024)
        try:
            left = self.budget
            for folder in self.box.folders:
                if left <= 0:
                    self.more = True
                    break
                read = 0
                for record in self._folder(conn, folder, left):
                    read += 1
                    yield record
                left -= read
        finally:
            _close(conn)

    def _folder(self, conn: imaplib.IMAP4, folder: str, budget: int) -> Iterator[Record]:
        uidvalidity = _select(conn, folder, self.secret)
        mark = self.checkpoint.setdefault("folders", {}).setdefault(folder, {})
        if mark.get("uidvalidity") not in (None, uidvalidity):
            self.notes.append(f"{folder}: UIDVALIDITY changed from {mark['uidvalidity']} to {uidvalidity}; the folder "
                              "is read again (messages already stored are not stored twice)")
            mark.clear()
        mark["uidvalidity"] = uidvalidity
        last = int(mark.get("last_uid", 0))
        uids, left = _search_above(conn, last, budget, self.secret)
        self.more = self.more or left
        sizes = _sizes(conn, uids, self.secret)
        wanted = []
        for uid in uids:
            if sizes.get(uid, 0) > self.max_bytes:
                self.too_large += 1
                yield Notice(self._source(folder, uid), f"the message is {sizes[uid]:,} bytes, over the "
                             f"{self.max_bytes:,}-byte limit: not read ({_named(conn, uid, self.secret)})")
            else:
                wanted.append(uid)
        for chunk in _chunks(wanted, sizes):
            for uid, raw, received in _bodies(conn, chunk, self.secret):
                started = time.perf_counter()
                record = parse(self._source(folder, uid), raw, file_time=received)
                self.parse_s += time.perf_counter() - started
                yield record
        if uids:  # the caller saves the checkpoint only once everything yielded is stored
            mark["last_uid"] = uids[-1]

    def _source(self, folder: str, uid: int) -> str:
        return f"{self.box.display().rsplit('/', 1)[0]}/{folder};UID={uid}"


def _check(answer: tuple[str, list[Any]], what: str, secret: str) -> list[Any]:
    status, data = answer
    if status != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")[:300]
        raise MailboxError(f"{what} failed: {detail.replace(secret, '***') if secret else detail}")
    return data


def _select(conn: imaplib.IMAP4, folder: str, secret: str) -> int:
    """Open a folder read-only and return its UIDVALIDITY; a vanished folder is a MailboxError."""
    quoted = '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
    try:
        status, data = conn.select(quoted, readonly=True)
    except imaplib.IMAP4.error as error:
        raise MailboxError(f"folder {folder!r} cannot be opened ({_reason(error, secret)})") from None
    if status != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")[:200]
        raise MailboxError(f"folder {folder!r} cannot be opened; it may have been deleted or renamed ({detail})")
    values = conn.response("UIDVALIDITY")[1]
    if not values or values[0] is None:
        raise MailboxError(f"folder {folder!r}: the server gave no UIDVALIDITY")
    return int(values[-1])


def _search_above(conn: imaplib.IMAP4, last: int, budget: int, secret: str) -> tuple[list[int], bool]:
    """Up to `budget` UIDs above `last`, and whether more are left. The UID space up to the folder's UIDNEXT is
    searched in windows, so no answer lists more than SEARCH_WINDOW UIDs, however large the folder."""
    values = conn.response("UIDNEXT")[1]
    uidnext = int(values[-1]) if values and values[-1] is not None else None
    found: list[int] = []
    low = last + 1
    while len(found) <= budget and (uidnext is None or low < uidnext):
        high = "*" if uidnext is None else str(min(low + SEARCH_WINDOW - 1, uidnext - 1))
        data = _check(conn.uid("SEARCH", f"UID {low}:{high}"), "UID SEARCH", secret)
        found += sorted({int(n) for line in data if line for n in line.split() if int(n) > last})
        if high == "*":
            break
        low = int(high) + 1
    return found[:budget], len(found) > budget


FETCH_UID = re.compile(rb"UID (\d+)")
FETCH_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
FETCH_DATE = re.compile(rb'INTERNALDATE "[^"]*"')


def _sizes(conn: imaplib.IMAP4, uids: list[int], secret: str) -> dict[int, int]:
    out: dict[int, int] = {}
    for start in range(0, len(uids), 500):
        part = ",".join(str(u) for u in uids[start:start + 500])
        for line in _check(conn.uid("FETCH", part, "(RFC822.SIZE)"), "UID FETCH (sizes)", secret):
            text = line if isinstance(line, bytes) else line[0]
            uid, size = FETCH_UID.search(text), FETCH_SIZE.search(text)
            if uid and size:
                out[int(uid.group(1))] = int(size.group(1))
    return out


def _named(conn: imaplib.IMAP4, uid: int, secret: str) -> str:
    """A message's From, Subject and Message-ID, to name one that is not read."""
    data = _check(conn.uid("FETCH", str(uid), "(BODY.PEEK[HEADER.FIELDS (FROM SUBJECT MESSAGE-ID)])"),
                  "UID FETCH (headers)", secret)
    header = b"".join(part[1] for part in data if isinstance(part, tuple))[:2000]
    return " ".join(header.decode("utf-8", "replace").split()) or "no headers"


def _chunks(uids: list[int], sizes: dict[int, int]) -> Iterator[list[int]]:
    chunk: list[int] = []
    total = 0
    for uid in uids:
        if chunk and (total + sizes.get(uid, 0) > FETCH_CHUNK_BYTES or len(chunk) >= FETCH_CHUNK_MESSAGES):
            yield chunk
            chunk, total = [], 0
        chunk.append(uid)
        total += sizes.get(uid, 0)
    if chunk:
        yield chunk


def _bodies(conn: imaplib.IMAP4, uids: list[int], secret: str) -> Iterator[tuple[int, bytes, datetime | None]]:
    """(UID, bytes, INTERNALDATE) of each message, whatever order the server puts the items in."""
    data = _check(conn.uid("FETCH", ",".join(str(u) for u in uids), "(UID INTERNALDATE BODY.PEEK[])"),
                  "UID FETCH (messages)", secret)
    found: list[tuple[int, bytes, datetime | None]] = []
    for index, part in enumerate(data):
        if not isinstance(part, tuple):
            continue
        after = data[index + 1] if index + 1 < len(data) and isinstance(data[index + 1], bytes) else b""
        uid = FETCH_UID.search(part[0]) or FETCH_UID.search(after)
        if uid:
            found.append((int(uid.group(1)), part[1], _internal_date(part[0] + after)))
    yield from sorted(found, key=lambda item: item[0])


def _internal_date(text: bytes) -> datetime | None:
    matched = FETCH_DATE.search(text)
    parsed = imaplib.Internaldate2tuple(matched.group(0)) if matched else None
    return datetime.fromtimestamp(time.mktime(parsed), UTC) if parsed else None
