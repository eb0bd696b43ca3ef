"""Cleaning customer text before it is stored and scored.

What is kept is what the customer wrote in this message: HTML becomes text (the standard
library's parser; <blockquote> is quoted history and dropped), control characters and invisible
marks go, white space is folded, and `pipelines.replies` drops quoted history, reply headers in many
languages and signatures, keeping the sender's words wherever they stand. Every step is linear in the
length of the text, whatever its shape.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from pipelines.replies import own_words

_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "hr"}
_SKIP_TAGS = {"script", "style", "head", "title"}

# C0 controls but tab and newline, DEL, and invisible marks (zero-width spaces and joiners, BOM, LRM/RLM):
# a NUL is refused by PostgreSQL; the others only hide words from the patterns.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060\ufeff]")
_SPACES = re.compile(r"[ \t\f\v\xa0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_RUNS = re.compile(r"\n{3,}")


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


# A "<" that does not open a tag closed within TAG_MAX characters is text. The standard library's parser
# rescans from every such "<" ("<a <a <a …", "<!--<!--…"), quadratic in the input; escaped, it is linear.
TAG_MAX = 2000
_NOT_A_TAG = re.compile(rf"<(?![a-zA-Z!/?][^<>]{{0,{TAG_MAX}}}>)")


def html_to_text(markup: str) -> str:
    """Visible text of an HTML fragment, with block elements as line breaks."""
    parser = _TextExtractor()
    parser.feed(_NOT_A_TAG.sub("&lt;", markup))
    parser.close()
    return html.unescape("".join(parser.parts))


def clean_text(text: str) -> str:
    """The customer's own words from a raw message body."""
    if looks_like_html(text):
        text = html_to_text(text)
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = own_words(_BLANK_RUNS.sub("\n\n", "\n".join(lines)))
    return _BLANK_RUNS.sub("\n\n", text).strip()
