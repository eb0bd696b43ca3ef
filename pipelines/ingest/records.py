"""What the readers yield: messages, unreadable records, and notices about the input as a whole."""

from __future__ import annotations

import csv
import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from pipelines.cells import WIDE_CELL, wide_cells
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
    """A warning about the input that is not a message (a folder that holds no mail, say). `not_read` marks one
    that names a file which was not read (not mail, empty, too large, unreadable, a link not followed), so that a
    report's counts and the files it names add up to the files it was given."""

    source: str
    warning: str
    not_read: bool = False


Record = RawMessage | BadRecord | Notice


class ShapeError(ValueError):
    """A field of an export that holds the wrong kind of JSON value (an author given as a string, say)."""


MAX_CELL = WIDE_CELL
"""The longest CSV cell read, in characters: fifty times the body limit, as mail of 9 MB is read. A body that long
is then cleaned and cut like any other (api.intake.ingest.bounded_body); a longer cell is an error for its row."""

MAX_MESSAGE_BYTES = 50_000_000
"""The largest message read, in bytes (mail servers commonly refuse more than 25 to 50 MB). A file or mbox message
over it is named in the report as too large and never read into memory."""

Row = TypeVar("Row")


def csv_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[str, dict[str, str | None]] | BadRecord]:
    """(source, row) for every row of a CSV file; a BadRecord naming the file when it cannot be read or lacks
    a column, and one naming the row for a row the csv module cannot read (a cell over MAX_CELL characters)."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig", errors="replace")
    except OSError as error:
        yield BadRecord(str(path), f"cannot read the file: {error.strerror or error}")
        return
    with handle:
        reader = csv.DictReader(handle)
        try:
            columns = _within_cell_limit(lambda: reader.fieldnames) or []
        except (csv.Error, OSError) as error:
            yield BadRecord(f"{path}:1", _csv_problem(error))
            return
        missing = [c for c in required if c not in columns]
        if missing:
            yield BadRecord(str(path), f"missing column(s) {', '.join(missing)}; found "
                                       f"{', '.join(columns) or 'no header'}")
            return
        for number in itertools.count(2):
            try:
                row = _within_cell_limit(lambda: next(reader))
            except StopIteration:
                return
            except (csv.Error, OSError) as error:  # the row is lost, the csv module reads on from the next line
                yield BadRecord(f"{path}:{number}", _csv_problem(error))
                continue
            yield f"{path}:{number}", row


def _within_cell_limit(read: Callable[[], Row]) -> Row:
    """What `read` returns, read with cells of up to MAX_CELL characters. The csv module's limit is one for the
    whole process, so it is raised only while a row is read, and other CSV readers keep theirs."""
    with wide_cells(MAX_CELL):
        return read()


def _csv_problem(error: csv.Error | OSError) -> str:
    if isinstance(error, OSError):
        return f"cannot read the file: {error.strerror or error}"
    if "field larger than field limit" in str(error):
        return f"a cell is longer than {MAX_CELL:,} characters"
    return f"not valid CSV ({error})"


def unreadable(error: Exception) -> str:
    """Why a record could not be read, from the error a parser gave up with."""
    if isinstance(error, RecursionError):
        return "nested too deeply"
    return f"{type(error).__name__}: {str(error)[:200]}"


def shielded(source: str, records: Iterator[Record]) -> Iterator[Record]:
    """The records; an error a parser raises part way becomes a BadRecord naming the source, so that one hostile
    record ends only itself and never the run (whatever a vendor's shape checks did not foresee)."""
    try:
        yield from records
    except ShapeError as error:
        yield BadRecord(source, str(error))
    except Exception as error:  # noqa: BLE001 - any parser failure on hostile input is this record's error
        yield BadRecord(source, f"cannot be read: {unreadable(error)}")


OUTSIDE = "a link to outside the folder, not followed"
NOWHERE = "a link to nothing, not followed"
SPECIAL = "unreadable: not a regular file (a pipe, socket or device)"


def folder_files(folder: Path, wanted: Callable[[Path], bool]) -> tuple[list[Path], list[Notice]]:
    """The wanted files under a folder, sorted, and a Notice for each link that was not followed.

    The walk never leaves the folder: a link to a file outside it (another user's mail, a key) is skipped
    and reported, a link inside it is read once (a file reached twice is read at its first path), and
    linked folders are never entered, so a loop cannot hang the walk (what they point to inside the
    folder is read where it is).
    """
    root = os.path.realpath(folder)
    found: dict[str, Path] = {}
    skipped: list[Notice] = []
    for directory, subfolders, names in os.walk(folder):
        for name in subfolders:
            path = Path(directory, name)
            if path.is_symlink() and not _inside(root, os.path.realpath(path)):
                skipped.append(Notice(str(path), OUTSIDE))
        for name in names:
            path = Path(directory, name)
            if not wanted(path):
                continue
            target = os.path.realpath(path)
            if path.is_symlink() and not os.path.exists(target):
                skipped.append(Notice(str(path), NOWHERE, not_read=True))
            elif path.is_symlink() and not _inside(root, target):
                skipped.append(Notice(str(path), OUTSIDE, not_read=True))
            elif not path.is_file():
                skipped.append(Notice(str(path), SPECIAL, not_read=True))
            elif target not in found or str(path) < str(found[target]):
                found[target] = path
    return sorted(found.values()), sorted(skipped, key=lambda notice: notice.source)


def _inside(root: str, target: str) -> bool:
    return os.path.commonpath([root, target]) == root


def aware(moment: datetime) -> datetime:
    """A timestamp with a timezone; one given without is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
