"""Cleaning customer text before it is stored and scored.

What is kept is what the customer wrote in this message: HTML becomes text, and the quoted
history of a reply ("On Mon, Ana wrote:" and the `>` lines after it) and the signature below a
`-- ` delimiter or a closing such as "Sent from my iPhone" are removed.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "hr"}
_SKIP_TAGS = {"script", "style", "head", "title"}

# A line that introduces quoted history: everything from it on is an earlier message.
_REPLY_HEADERS = [
    re.compile(r"^\s*On .{3,200}(wrote|writes):\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*Forwarded message\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*From:\s.+$"),
    re.compile(r"^\s*Le .{3,200} a écrit\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Am .{3,200} schrieb .{1,200}:\s*$", re.IGNORECASE),
]
# A line from which the rest is a signature.
_SIGNATURE_STARTS = [
    re.compile(r"^-- ?$"),
    re.compile(r"^\s*Sent from my (iPhone|iPad|Android|mobile|Galaxy).*$", re.IGNORECASE),
    re.compile(r"^\s*Get Outlook for .*$", re.IGNORECASE),
]


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._quote_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skipping += 1
        if tag == "blockquote":
            self._quote_depth += 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS and self._skipping:
            self._skipping -= 1
        if tag == "blockquote" and self._quote_depth:
            self._quote_depth -= 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        # Text inside <blockquote> is quoted history, not this message.
        if not self._skipping and not self._quote_depth:
            self.parts.append(data)


def looks_like_html(text: str) -> bool:
    """True when the text carries HTML markup."""
    return bool(re.search(r"<(html|body|div|p|br|span|table|blockquote)\b", text, re.IGNORECASE))


def html_to_text(markup: str) -> str:
    """Visible text of an HTML fragment, with block elements as line breaks."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    return html.unescape("".join(parser.parts))


def strip_quotes_and_signature(text: str) -> str:
    """Drop quoted history and the signature, keeping the message's own lines."""
    kept: list[str] = []
    for line in text.splitlines():
        if any(p.match(line) for p in _REPLY_HEADERS) or any(p.match(line) for p in _SIGNATURE_STARTS):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept)


def clean_text(text: str) -> str:
    """The customer's own words from a raw message body."""
    if looks_like_html(text):
        text = html_to_text(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = strip_quotes_and_signature(text)
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    cleaned = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", cleaned).strip()
