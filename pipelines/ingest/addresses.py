"""Sender addresses and domains as mail really writes them.

- Mailing-list archives (Mailman, Pipermail) hide addresses as `andy at example.com`;
- internationalised domains arrive in Unicode (`münchen.de`) or as punycode (`xn--mnchen-3ya.de`), and
  are stored and compared as punycode, the one form every system agrees on;
- a sender at `us.ibm.com` belongs to the account that has `ibm.com`: the nearest enclosing domain.
"""

from __future__ import annotations

import re
from email.utils import getaddresses

import idna

# The lookbehind starts a match only where a name starts: without it, a From of 100,000 letters took 30 s.
ARCHIVE_SENDER = re.compile(r"(?<![A-Za-z0-9._%+\-])([A-Za-z0-9._%+\-]+) at ([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)")


class DomainError(ValueError):
    """A domain that is not a valid (internationalised) host name."""


def ascii_domain(domain: str) -> str:
    """A domain in lower-case punycode: `München.DE` and `xn--mnchen-3ya.de` both give `xn--mnchen-3ya.de`."""
    cleaned = domain.strip().strip(".").lower().removeprefix("@")
    if cleaned.isascii():
        return cleaned
    try:
        return idna.encode(cleaned, uts46=True).decode("ascii")
    except idna.IDNAError as error:
        raise DomainError(f"{domain!r} is not a valid internationalised domain ({error})") from None


def sender_address(header: str) -> str | None:
    """The e-mail address of a From header, including the `user at host` form of list archives."""
    try:
        pairs = getaddresses([header])
    except RecursionError:  # comments nested thousands deep: no address the parser can reach
        pairs = []
    for _, address in pairs:
        if "@" in address:
            return address
    found = ARCHIVE_SENDER.search(header)
    return f"{found.group(1)}@{found.group(2)}" if found else None


def domain_of(address: str | None) -> str | None:
    """The punycode domain of an address, or None when it has none (or an invalid one)."""
    if not address or "@" not in address:
        return None
    try:
        return ascii_domain(address.rsplit("@", 1)[1].strip().strip(">"))
    except DomainError:
        return None


def enclosing(domain: str) -> list[str]:
    """The domain and each domain enclosing it, nearest first: a.b.example.com, b.example.com, example.com."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]
