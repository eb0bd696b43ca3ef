"""Interactions: the stored customer texts, and the one stored under an external id."""

from __future__ import annotations

import hashlib

from sqlmodel import Session, col, select

from api.interactions.models import Interaction
from api.suggestions.models import Suggestion

ERASED_PREFIX = "erased:sha256:"


def erased_external_id(external_id: str) -> str:
    """What an erased interaction keeps of its external id: a digest, which still tells that the same message
    is stored, without the id itself (a Message-ID often carries an e-mail address)."""
    if external_id.startswith(ERASED_PREFIX):
        return external_id
    return ERASED_PREFIX + hashlib.sha256(external_id.encode("utf-8", "surrogatepass")).hexdigest()


def find_existing(*, session: Session, account_id: int, external_id: str) -> tuple[Interaction, Suggestion] | None:
    """The interaction already stored under this external id (or its digest, once erased), with its latest
    suggestion."""
    interaction = session.exec(select(Interaction).where(Interaction.account_id == account_id)
                               .where(col(Interaction.external_id).in_({external_id,
                                                                       erased_external_id(external_id)}))).first()
    if interaction is None:
        return None
    suggestion = session.exec(select(Suggestion).where(Suggestion.interaction_id == interaction.id)
                              .order_by(col(Suggestion.created_at).desc(), col(Suggestion.id).desc())).first()
    if suggestion is None:  # pragma: no cover - both rows are written in one transaction
        raise RuntimeError(f"interaction {interaction.id} has no suggestion")
    return interaction, suggestion
