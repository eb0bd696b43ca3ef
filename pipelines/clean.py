"""Cleaning customer text before it is stored and scored.

What is kept is what the customer wrote in this message: HTML becomes text (the standard
library's parser; <blockquote> is quoted history and dropped), the quoted history of a reply is
cut by mail-parser-reply, which knows the reply headers of a dozen mail clients' languages ("On
Mon, Ana wrote:", "Le lun. … a écrit :", "Am … schrieb …:", Outlook's "From: … Sent: …"), and what
remains loses its `>` lines and the signature below a `-- ` delimiter or a mobile closing such as
"Sent from my iPhone".
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "hr"}
_SKIP_TAGS = {"script", "style", "head", "title"}

REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl", "sv", "cs", "da", "ja", "ko", "zh"]
_replies = EmailReplyParser(languages=REPLY_LANGUAGES)
# Forwarded and "original message" blocks are earlier messages too.
_EARLIER = [
    re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*Forwarded message\s*-{2,}\s*$", re.IGNORECASE),
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
    lines = (_replies.parse_reply(text=text) or "").splitlines()
    kept: list[str] = []
    for n, line in enumerate(lines):
        if any(p.match(line) for p in _EARLIER) or any(p.match(line) for p in _SIGNATURE_STARTS):
            break
        if line.rstrip().endswith(":") and _quote_follows(lines, n + 1):
            break  # a reply header in a language the parser does not know: "El lun, … escribió:"
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept)


def _quote_follows(lines: list[str], start: int) -> bool:
    following = next((line for line in lines[start:] if line.strip()), "")
    return following.lstrip().startswith(">")


def clean_text(text: str) -> str:
    """The customer's own words from a raw message body."""
    if looks_like_html(text):
        text = html_to_text(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = strip_quotes_and_signature(text)
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    cleaned = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", cleaned).strip()
