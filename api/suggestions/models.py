"""Suggestions: what a model version said about an interaction or an account, as stored.

How people are shown a suggestion, with its current decision, is api.decisions.shown: decisions sit above
suggestions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint, false, text
from sqlmodel import Field, SQLModel

import api.accounts.models  # noqa: F401 - the accounts table a foreign key names
import api.interactions.models  # noqa: F401 - the interactions table a foreign key names
import api.model_versions.models  # noqa: F401 - the model_versions table a foreign key names
from api.db import UTCDateTime, utcnow
from models.labels import Label


class Scope(StrEnum):
    """What a suggestion is about."""

    INTERACTION = "interaction"
    ACCOUNT = "account"


class PredictionBase(SQLModel):
    """What a model version said about a text, as stored: the columns a suggestion and a shadow prediction share."""

    account_id: int = Field(foreign_key="accounts.id", index=True)
    interaction_id: int | None = Field(default=None, foreign_key="interactions.id", index=True)
    label: Label = Field(sa_type=String(8))
    p_red: float
    p_yellow: float
    p_green: float
    confidence: float
    margin: float
    model_version: str = Field(foreign_key="model_versions.version", max_length=100, index=True)
    explanation: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON, nullable=False)
    # The risk and health cues found in the text (models.cues: kind, score, sentence, start, end), and the
    # strongest risk cue's score, which the queue weighs as the cost of missing this message.
    cues: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON, nullable=False,
                                       sa_column_kwargs={"server_default": text("'[]'")})
    risk: float = Field(default=0.0, sa_column_kwargs={"server_default": text("0")})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    # The language of the text scored (ISO 639-1, "und" when unsure; null on roll-ups and older rows), and
    # whether the model reads it: if not, the confidence is capped and the item goes up the queue.
    language: str | None = Field(default=None, max_length=8)
    unsupported_language: bool = Field(default=False, sa_column_kwargs={"server_default": false()})

    @property
    def probabilities(self) -> dict[str, float]:
        """Probabilities by label string."""
        return {Label.RED.value: self.p_red, Label.YELLOW.value: self.p_yellow, Label.GREEN.value: self.p_green}


class Suggestion(PredictionBase, table=True):
    """What the queue serves, stored with the version that made it and never changed afterwards: a message's
    suggestion, an account's roll-up, or a check item's copy (whose check and person api.checks keeps). A
    shadow version's silent predictions live apart (api.shadows)."""

    __tablename__ = "suggestions"
    __table_args__ = (
        UniqueConstraint("interaction_id", "model_version", name="uq_suggestions_interaction_model_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    scope: Scope = Field(sa_type=String(16), index=True)
    # Served without the model's label and probabilities until decided (PULSE_BLIND_SHARE).
    blind: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # A pending suggestion replaced by a newer one (a roll-up over newer text, or the active model's
    # backfill) leaves the queue; deciding on it is refused with the replacement's id.
    superseded_by_id: int | None = Field(default=None, foreign_key="suggestions.id")


class CuePublic(SQLModel):
    """A risk or health cue in a text, with the sentence that carries it (character offsets into the text)."""

    kind: str = Field(description="non_renewal, competitor, migration, downgrade, budget, sponsor_change, "
                                  "severe_problem, escalation (risk); renewal_confirmed, expansion, adoption, "
                                  "advocacy (health)")
    score: float
    sentence: str
    start: int
    end: int
    interaction_id: int | None = Field(default=None, description="the message the cue is in (none for POST "
                                                                  "/v1/suggest)")


class SuggestRequest(SQLModel):
    """Body of POST /v1/suggest."""

    texts: list[str] = Field(min_length=1)


class TextSuggestion(SQLModel):
    """Stateless scoring of one text."""

    label: Label
    probabilities: dict[str, float]
    confidence: float = Field(description="the suggested colour's probability, as a stored suggestion carries it")
    model_version: str
    explanation: list[dict[str, Any]]
    cues: list[CuePublic] = Field(default_factory=list)
    language: str | None = None
    unsupported_language: bool = False


class SuggestResponse(SQLModel):
    """Answer of POST /v1/suggest, one item per text in order."""

    data: list[TextSuggestion]
    model_version: str
