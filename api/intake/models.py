"""What intake answers: an interaction with the suggestion made for it."""

from __future__ import annotations

from sqlmodel import SQLModel

from api.decisions.shown import SuggestionPublic
from api.interactions.models import InteractionPublic


class InteractionScored(SQLModel):
    """Answer of POST /v1/interactions: the interaction and the suggestion made for it."""

    interaction: InteractionPublic
    suggestion: SuggestionPublic
