"""Zendesk kept up with by itself: the incremental ticket export, followed by cursor, then the changed tickets' audits.

A sync reads `GET /api/v2/incremental/tickets/cursor.json` (from `start_time` the first time, then from the
stored cursor) with the `users` and `organizations` side-loads, follows `after_cursor` until `end_of_stream`,
and for each ticket of a page reads its audits (`GET /api/v2/tickets/{id}/audits.json`, cursor-paged). The
pieces are joined by the same code that reads an exported file (`helpdesk.read_zendesk`), so a comment becomes
the same `RawMessage` either way, with the same `source_id` (`zendesk:<ticket>:<comment>`).

`sync` yields one `Page` a ticket page: its records and the checkpoint to store with them. A caller that stores
both in one transaction resumes after a crash from the last page it stored; a page read twice (a crash before
its commit, or a ticket changed again) yields the same source ids, which storing treats as already there.
Every cost is bounded: pages a call, tickets a page, audit pages a ticket, and each request (`fetch.FetchLimits`).
The next URL is built from the configured host and the cursor, never taken from `after_url`, so an answer
cannot send the credential elsewhere.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pipelines.ingest.documents import gathered, json_type, scalar
from pipelines.ingest.fetch import FetchError, FetchLimits, JsonFetcher, checked_base
from pipelines.ingest.helpdesk import ZENDESK_LISTS, read_zendesk
from pipelines.ingest.records import BadRecord, Notice, Record, shielded

TICKETS = "/api/v2/incremental/tickets/cursor.json"
AUDITS = "/api/v2/tickets/{}/audits.json"
AUDITS_A_PAGE = 100  # the most Zendesk's cursor pagination gives
SUBDOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


@dataclass(frozen=True)
class ZendeskLimits:
    """How much one sync call reads: at most pages x tickets x audit_pages audit requests, plus the pages."""

    pages: int = 10  # ticket pages a call; the next call goes on from the checkpoint
    tickets: int = 100  # tickets a page (Zendesk's per_page, up to 1,000)
    audit_pages: int = 10  # audit pages a ticket (100 audits each); later ones are reported, not read


@dataclass(frozen=True)
class Page:
    """One page of the export: its messages and problems, and the checkpoint to store with them."""

    records: list[Record]
    checkpoint: str | None  # the cursor after this page (None only if the export gave none yet)
    tickets: int
    end_of_stream: bool


class ZendeskError(FetchError):
    """The export answered in a shape that cannot be followed (no cursor, a cursor that loops): not transient."""


def zendesk_base(subdomain: str) -> str:
    """https://{subdomain}.zendesk.com for a subdomain of letters, digits and hyphens."""
    if not SUBDOMAIN.fullmatch(subdomain):
        raise ValueError(f"{subdomain!r} is not a Zendesk subdomain (letters, digits and hyphens, as in "
                         "'acme' for acme.zendesk.com)")
    return f"https://{subdomain}.zendesk.com"


def zendesk_headers(token: str, email: str | None = None) -> dict[str, str]:
    """The Authorization header: an API token with its agent's e-mail (`{email}/token:{token}`, basic
    authentication), or without an e-mail an OAuth access token (bearer)."""
    token = token.strip()
    if not token or any(c in token for c in "\r\n"):
        raise ValueError("the Zendesk token is empty or spans lines")
    if email is None:
        return {"Authorization": f"Bearer {token}"}
    if "@" not in email or any(c in email for c in ":\r\n"):
        raise ValueError(f"{email!r} is not an e-mail address")
    pair = base64.b64encode(f"{email.strip()}/token:{token}".encode()).decode("ascii")
    return {"Authorization": f"Basic {pair}"}


def sync(fetcher: JsonFetcher, base_url: str, checkpoint: str | None, *, start_time: int = 0,
         limits: ZendeskLimits | None = None) -> Iterator[Page]:
    """The pages changed since the checkpoint (or since start_time, a Unix time, without one), in order.

    Stops at `end_of_stream` or after `limits.pages` pages. A ZendeskError or FetchError ends the call; the
    pages already yielded stay good, and the next call goes on from the last checkpoint stored (ZendeskError is a
    FetchError, so one except clause catches both).
    """
    limits = limits or ZendeskLimits()
    base = checked_base(base_url)
    cursor, used = checkpoint, set[str]()
    for _ in range(limits.pages):
        params = {"cursor": cursor} if cursor else {"start_time": str(int(start_time))}
        params |= {"include": "users,organizations", "exclude_deleted": "true", "per_page": str(limits.tickets)}
        document = fetcher.get(base + TICKETS, params)
        where = f"{base}{TICKETS}?{'cursor=' + cursor if cursor else f'start_time={int(start_time)}'}"
        tickets, after, done = _ticket_page(where, document)
        if cursor:
            used.add(cursor)
        if not done and after in used:
            raise ZendeskError(where, f"after_cursor {after!r} was already read in this sync (a cursor loop); "
                                      "stopped")
        records = list(_page_records(fetcher, base, where, document, tickets, limits))
        cursor = after or cursor
        yield Page(records=records, checkpoint=cursor, tickets=len(tickets), end_of_stream=done)
        if done:
            return


class ZendeskReader:
    """One bounded step of a Zendesk source, as a source's reader gives it (api.intake.sources.SourceReader):
    the records from the checkpoint on, the checkpoint (`{"cursor": ...}`) moved past each page once its records
    are given, and `more` while the export has pages left.

    `config` holds `subdomain` (or `base_url`, a loopback server in tests), `email` for an API token (none for
    an OAuth token) and `start_time` (Unix seconds) for the first read; `secret` is the token itself.
    """

    def __init__(self, config: Mapping[str, Any], secret: str, checkpoint: Mapping[str, Any], *,
                 limits: ZendeskLimits | None = None, fetch: FetchLimits | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.base = checked_base(str(config.get("base_url") or zendesk_base(str(config.get("subdomain") or ""))))
        self.headers = zendesk_headers(secret, config.get("email") or None)
        self.start_time = int(config.get("start_time") or 0)
        cursor = checkpoint.get("cursor")
        self.checkpoint: dict[str, Any] = {"cursor": cursor} if isinstance(cursor, str) and cursor else {}
        self.limits, self.fetch, self.sleep = limits or ZendeskLimits(pages=1), fetch or FetchLimits(), sleep
        self.more, self.too_large, self.notes = False, 0, list[str]()

    def records(self) -> Iterator[Record]:
        """The step's records; a FetchError (ZendeskError included) ends it where the last page ended."""
        fetcher = JsonFetcher(self.headers, limits=self.fetch, sleep=self.sleep)
        tickets = 0
        try:
            for page in sync(fetcher, self.base, self.checkpoint.get("cursor"), start_time=self.start_time,
                             limits=self.limits):
                yield from page.records
                tickets += page.tickets
                self.checkpoint = {"cursor": page.checkpoint} if page.checkpoint else self.checkpoint
                self.more = not page.end_of_stream
        finally:
            fetcher.close()
            self.notes.append(f"{tickets} changed tickets read in {fetcher.requests} requests")


def _ticket_page(where: str, document: dict[str, Any]) -> tuple[list[Any], str | None, bool]:
    """(tickets, after_cursor, end_of_stream) of an export page, or a ZendeskError saying what is missing."""
    tickets, after, done = document.get("tickets"), document.get("after_cursor"), document.get("end_of_stream")
    if not isinstance(tickets, list):
        raise ZendeskError(where, f"tickets must be a list, got {json_type(tickets)}; is this the incremental "
                                  "cursor export?")
    if not isinstance(done, bool):
        raise ZendeskError(where, f"end_of_stream must be true or false, got {json_type(done)}")
    if after is not None and (not isinstance(after, str) or not after.strip()):
        raise ZendeskError(where, f"after_cursor must be a non-empty string, got {json_type(after)}")
    if not done and after is None:
        raise ZendeskError(where, "end_of_stream is false but there is no after_cursor to go on from")
    return tickets, after, done


def _page_records(fetcher: JsonFetcher, base: str, where: str, document: dict[str, Any], tickets: list[Any],
                  limits: ZendeskLimits) -> Iterator[Record]:
    """The messages of a page's tickets, their audits read and joined as a file's would be. A ticket whose audits
    cannot be read is left out whole (not stood in for by its description) and named with the reason."""
    documents: list[tuple[str, Any]] = []
    unread: set[str] = set()
    for ticket in tickets:
        tid = scalar(ticket.get("id")) if isinstance(ticket, dict) else None
        if tid is None:
            continue  # the join reports a ticket without a usable id
        place = f"{where} ticket {tid}"
        if not (tid.isascii() and tid.isdigit()):
            unread.add(tid)
            yield BadRecord(place, "a ticket id must be a whole number; the ticket was not read")
            continue
        own: list[tuple[str, Any]] = []
        try:
            for item in _audits(fetcher, base, tid, limits):
                if isinstance(item, tuple):
                    own.append(item)
                else:
                    yield item
        except _Unread as error:
            unread.add(tid)
            yield BadRecord(place, f"the ticket was not read, its audits could not be: {error}")
            continue
        documents += own
    kept = [t for t in tickets if not (isinstance(t, dict) and scalar(t.get("id")) in unread)]
    pieces = gathered([(where, {**document, "tickets": kept}), *documents], ZENDESK_LISTS, {"ticket": "tickets"})
    yield from shielded(where, read_zendesk(pieces))  # as read_all does for files: a parser's failure is reported


class _Unread(Exception):
    """A ticket's audits that will not be read by trying again (a deleted ticket, an answer that is not JSON)."""


def _audits(fetcher: JsonFetcher, base: str, tid: str, limits: ZendeskLimits
            ) -> Iterator[tuple[str, dict[str, Any]] | Record]:
    """(where, response) of each page of a ticket's audits; a BadRecord or Notice for what was not read.

    A failure that may pass (a timeout, a 5xx, a long rate limit) ends the sync, so that the page is read
    again next time; one that will not is _Unread, this ticket's error.
    """
    url, after, seen = base + AUDITS.format(tid), None, set[str]()
    for number in range(1, limits.audit_pages + 1):
        params = {"page[size]": str(AUDITS_A_PAGE)} | ({"page[after]": after} if after else {})
        where = f"{url} page {number}"
        try:
            document = fetcher.get(url, params)
        except FetchError as error:
            if error.transient:
                raise
            raise _Unread(str(error)) from None
        yield from _own_audits(where, document, tid)
        meta = document.get("meta")
        if not isinstance(meta, dict) or meta.get("has_more") is not True:
            return
        after = meta.get("after_cursor")
        if not isinstance(after, str) or not after or after in seen:
            yield BadRecord(where, f"has_more is true but after_cursor is {json_type(after)} or already read; "
                                   "the ticket's later audits were not read")
            return
        seen.add(after)
    yield Notice(url, f"more than {limits.audit_pages * AUDITS_A_PAGE:,} audits; the later ones were not read")


def _own_audits(where: str, document: dict[str, Any], tid: str) -> Iterator[tuple[str, dict[str, Any]] | Record]:
    """The page's audits of this ticket, and a BadRecord for an audit of another; _Unread for no audits list."""
    audits = document.get("audits")
    if not isinstance(audits, list):
        raise _Unread(f"{where}: audits must be a list, got {json_type(audits)}")
    own: list[Any] = []
    for index, audit in enumerate(audits, start=1):
        other = scalar(audit.get("ticket_id")) if isinstance(audit, dict) else None
        if other is not None and other != tid:
            yield BadRecord(f"{where} audits[{index}]", f"an audit of ticket {other}, not {tid}; not read")
        else:
            own.append({**audit, "ticket_id": tid} if isinstance(audit, dict) else audit)
    yield where, {"audits": own}
