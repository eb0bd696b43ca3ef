"""Decisions: a person's final, append-only choice on a suggestion."""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict
from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.db import UTCDateTime, utcnow
from models.labels import Label


class DecisionCreate(SQLModel):
    """Body of POST /v1/suggestions/{id}/decisions."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    label: Label
    sentiment_reason: str | None = Field(default=None, max_length=100)
    override_reason: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=5000)
    blind: bool = False
    viewed_ms: int | None = Field(default=None, ge=0, le=86_400_000)


class Decision(SQLModel, table=True):
    """One decision. Never updated: a change of mind is a new row with the next revision."""

    __tablename__ = "decisions"
    __table_args__ = (
        UniqueConstraint("suggestion_id", "revision", name="uq_decisions_suggestion_revision"),
        UniqueConstraint("user_id", "idempotency_key", name="uq_decisions_user_idempotency_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = Field(foreign_key="suggestions.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    revision: int = Field(ge=1)
    supersedes_id: int | None = Field(default=None, foreign_key="decisions.id")
    label: Label = Field(sa_type=String(8), index=True)
    accepted: bool
    sentiment_reason: str | None = Field(default=None, max_length=100)
    override_reason: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    blind: bool = False
    viewed_ms: int | None = None
    idempotency_key: str | None = Field(default=None, max_length=200)
    request_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))


class DecisionPublic(SQLModel):
    """A decision beside the suggestion it judged."""

    id: int
    suggestion_id: int
    user_id: int
    label: Label
    accepted: bool
    direction: str = Field(description="same, rosier (greener than suggested) or harsher")
    shift: int = Field(description="steps on Red < Yellow < Green from the suggestion to the choice")
    sentiment_reason: str | None
    override_reason: str | None
    note: str | None
    blind: bool
    viewed_ms: int | None
    revision: int
    supersedes_id: int | None
    superseded: bool
    created_at: datetime
    suggested_label: Label
    confidence: float
    model_version: str
    scope: str
    account_id: int
    interaction_id: int | None


class DecisionsPublic(SQLModel):
    """A list of decisions with their suggestions."""

    data: list[DecisionPublic]
    count: int
