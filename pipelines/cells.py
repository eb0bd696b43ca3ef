"""CSV cells a spreadsheet shows as text: what every CSV Pulse writes (label export, batch scores) goes through."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

WIDE_CELL = 10_000_000
"""The longest CSV cell Pulse reads (the csv module's default stops at 131,072 characters)."""


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run: text starting with = + - @ or a control character gets a quote."""
    text = "" if value is None else str(value)
    first = text.lstrip(" ")[:1]  # a spreadsheet skips leading spaces before a formula too
    if first and first in ("=", "+", "-", "@", "\t", "\r", "\n"):
        return "'" + text
    return text


@contextmanager
def wide_cells(limit: int | None = None) -> Iterator[None]:
    """Read CSV with cells of up to `limit` (WIDE_CELL) characters; the csv module's limit is one for the whole
    process, so it is put back after."""
    previous = csv.field_size_limit(WIDE_CELL if limit is None else limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)
