"""Shadow predictions: what a version in shadow said about new messages, never shown or decided.

A version in shadow scores live traffic silently beside the active one (api.intake); its predictions are
compared with people's decisions (api.audit.shadow) and, if the version is promoted, become the suggestions
of the messages still waiting (api.intake.backfill). Nothing that reads the queue ever meets them.
"""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from api.suggestions.models import PredictionBase


class ShadowPrediction(PredictionBase, table=True):
    """One shadow version's prediction about one message."""

    __tablename__ = "shadow_predictions"
    __table_args__ = (
        UniqueConstraint("interaction_id", "model_version", name="uq_shadow_predictions_interaction_model_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    interaction_id: int = Field(foreign_key="interactions.id", index=True)  # always about one message
