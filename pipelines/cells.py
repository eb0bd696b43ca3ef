"""CSV cells a spreadsheet shows as text: what every CSV Pulse writes (label export, batch scores) goes through."""

from __future__ import annotations

from typing import Any


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run: text starting with = + - @ or a control character gets a quote."""
    text = "" if value is None else str(value)
    if text and text[0] in ("=", "+", "-", "@", "\t", "\r", "\n"):
        return "'" + text
    return text
