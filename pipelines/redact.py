"""Removing e-mail addresses and phone numbers from customer text before it is stored.

Phone numbers are found with Google's libphonenumber (the `phonenumbers` package), which knows each
region's numbering plan, so order numbers and dates are left alone; e-mail addresses by their shape.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import phonenumbers

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
EMAIL_MARK, PHONE_MARK = "[email]", "[phone]"


def redact_pii(text: str, regions: Sequence[str] = ("US",)) -> str:
    """The text with e-mail addresses and phone numbers (of the given regions, or international) replaced."""
    text = EMAIL.sub(EMAIL_MARK, text)
    spans: list[tuple[int, int]] = []
    for region in regions:
        spans += [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, region)]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    for start, end in reversed(merged):
        text = text[:start] + PHONE_MARK + text[end:]
    return text
