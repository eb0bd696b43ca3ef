"""Interactions: the stored customer texts; what an erased one keeps of its external id."""

from __future__ import annotations

import hashlib

ERASED_PREFIX = "erased:sha256:"


def erased_external_id(external_id: str) -> str:
    """What an erased interaction keeps of its external id: a digest, which still tells that the same message
    is stored, without the id itself (a Message-ID often carries an e-mail address)."""
    if external_id.startswith(ERASED_PREFIX):
        return external_id
    return ERASED_PREFIX + hashlib.sha256(external_id.encode("utf-8", "surrogatepass")).hexdigest()
