"""What intake answers: an interaction with the suggestion made for it."""

from __future__ import annotations

from sqlmodel import SQLModel

from api.interactions.models import InteractionPublic
from api.suggestions.models import SuggestionPublic


class InteractionScored(SQLModel):
    """Answer of POST /v1/interactions: the interaction and the suggestion made for it."""

    interaction: InteractionPublic
    suggestion: SuggestionPublic
