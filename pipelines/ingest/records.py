"""What the readers yield: messages, unreadable records, and notices about the input as a whole."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipelines.ingest.addresses import domain_of


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
    account_name: str | None = None  # the organisation's name in a help-desk export, matched to an account's name
    ours: bool = False  # written by our own agents, admins or bots (help-desk role), not customer sentiment
    date_source: str = "header"  # where occurred_at came from: header, received, file, import, or the export

    @property
    def sender_domain(self) -> str | None:
        """The domain of the sender's address, lower-case punycode."""
        return domain_of(self.sender)


@dataclass(frozen=True)
class BadRecord:
    """Something that could not be read, and why."""

    source: str
    error: str


@dataclass(frozen=True)
class Notice:
    """A warning about the input that is not a message (a folder that holds no mail, say)."""

    source: str
    warning: str


Record = RawMessage | BadRecord | Notice


def csv_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[str, dict[str, str | None]] | BadRecord]:
    """(source, row) for every row of a CSV file, or one BadRecord naming the columns it lacks."""
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            yield BadRecord(str(path), f"missing column(s) {', '.join(missing)}; found "
                                       f"{', '.join(reader.fieldnames or []) or 'no header'}")
            return
        for number, row in enumerate(reader, start=2):
            yield f"{path}:{number}", row


def aware(moment: datetime) -> datetime:
    """A timestamp with a timezone; one given without is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
