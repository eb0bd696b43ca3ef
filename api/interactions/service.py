"""Interactions: the stored customer texts, and the one stored under an external id."""

from __future__ import annotations

from sqlmodel import Session, col, select

from api.interactions.models import Interaction
from api.suggestions.models import Suggestion


def find_existing(*, session: Session, account_id: int, external_id: str) -> tuple[Interaction, Suggestion] | None:
    """The interaction already stored under this external id, with its latest suggestion."""
    interaction = session.exec(select(Interaction).where(Interaction.account_id == account_id)
                               .where(Interaction.external_id == external_id)).first()
    if interaction is None:
        return None
    suggestion = session.exec(select(Suggestion).where(Suggestion.interaction_id == interaction.id)
                              .where(col(Suggestion.shadow).is_(False))
                              .order_by(col(Suggestion.created_at).desc(), col(Suggestion.id).desc())).first()
    if suggestion is None:  # pragma: no cover - both rows are written in one transaction
        raise RuntimeError(f"interaction {interaction.id} has no suggestion")
    return interaction, suggestion
