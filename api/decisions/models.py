"""Decisions: a person's final, append-only choice on a suggestion."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from pydantic import ConfigDict, field_validator
from sqlalchemy import JSON, Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import api.accounts.models  # noqa: F401 - the accounts table a foreign key names
import api.interactions.models  # noqa: F401 - the interactions table a foreign key names
import api.suggestions.models  # noqa: F401 - the suggestions table a foreign key names
import api.users.models  # noqa: F401 - the users table a foreign key names
from api.db import UTCDateTime, utcnow
from api.ids import Id
from models.labels import Label, shift

TAG = re.compile(r"[\w-]{1,40}")


class TodoCreate(SQLModel):
    """A to-do given with a decision: what, by whom, by when."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    title: str = Field(min_length=1, max_length=300)
    owner_id: Id = Field(description="the user who will do it (of the account's team)")
    due_on: date

    @field_validator("title")
    @classmethod
    def _visible(cls, value: str) -> str:
        # Spaces, controls and invisible marks (zero-width spaces, joiners) alone make a to-do nobody can read.
        if not any(unicodedata.category(c)[0] not in "CZ" for c in value):
            raise ValueError(f"title must have visible text, got {value[:50]!r}")
        return value.strip()


class DecisionCreate(SQLModel):
    """Body of POST /v1/suggestions/{id}/decisions."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    label: Label | None = Field(default=None, description="the colour; may be left out when a point is given")
    point: str | None = Field(default=None, max_length=60, description="a point of the deployment's scale "
                                                                        "(GET /v1/scale); its colour is the label")
    sentiment_reason: str | None = Field(default=None, max_length=100)
    override_reason: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=5000)
    blind: bool = Field(default=False, description="ignored: whether the suggestion was served blind is the "
                                                   "server's record, never the client's claim")
    viewed_ms: int | None = Field(default=None, ge=0, le=86_400_000)
    # Context with a pulse update (account-scope suggestions only): all recorded in the same step.
    tags: list[str] = Field(default_factory=list, max_length=10, description="short labels, e.g. exec_sponsor")
    todos: list[TodoCreate] = Field(default_factory=list, max_length=10,
                                    description="follow-ups, each with an owner and a due date")
    lifecycle_stage: str | None = Field(default=None, min_length=1, max_length=50,
                                        description="the account's stage now (it is also set on the account)")

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        cleaned = []
        for tag in value:
            tag = tag.strip().lower()
            if not TAG.fullmatch(tag):
                raise ValueError(f"a tag is 1-40 letters, digits, - or _, got {tag[:50]!r}")
            cleaned.append(tag)
        return sorted(set(cleaned))


class Decision(SQLModel, table=True):
    """One decision. Never updated: a change of mind is a new row with the next revision."""

    __tablename__ = "decisions"
    __table_args__ = (
        UniqueConstraint("suggestion_id", "revision", name="uq_decisions_suggestion_revision"),
        UniqueConstraint("user_id", "idempotency_key", name="uq_decisions_user_idempotency_key"),
        Index("ix_decisions_user_id_created_at", "user_id", "created_at"),  # a person's latest decision
    )

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = Field(foreign_key="suggestions.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    revision: int = Field(ge=1)
    supersedes_id: int | None = Field(default=None, foreign_key="decisions.id")
    label: Label = Field(sa_type=String(8), index=True)
    point: str | None = Field(default=None, max_length=60)  # the scale point chosen, where the scale is finer
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    lifecycle_stage: str | None = Field(default=None, max_length=50)  # the account's stage when decided
    accepted: bool
    sentiment_reason: str | None = Field(default=None, max_length=100)
    override_reason: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    blind: bool = False
    viewed_ms: int | None = None
    # The server's own clock: ms from the item reaching this person (served, or their previous decision,
    # whichever came later) to this decision; null when the item was never served to them.
    server_ms: int | None = None
    idempotency_key: str | None = Field(default=None, max_length=200)
    request_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))
    # What the decision judged, copied from the suggestion and account when it was made, so the
    # audit reads one table; these are facts of that moment and never change.
    account_id: int = Field(foreign_key="accounts.id", index=True)
    interaction_id: int | None = Field(default=None, foreign_key="interactions.id")
    team: str = Field(max_length=100, index=True)
    segment: str | None = Field(default=None, max_length=100)
    scope: str = Field(sa_type=String(16))
    suggested_label: Label = Field(sa_type=String(8))
    model_version: str = Field(max_length=100, index=True)
    confidence: float


class DecisionHead(SQLModel, table=True):
    """Which decision currently stands for each decided suggestion (the highest revision).

    Decisions themselves are append-only; this small table moves forward with each new revision.
    """

    __tablename__ = "decision_heads"

    suggestion_id: int = Field(foreign_key="suggestions.id", primary_key=True)
    decision_id: int = Field(foreign_key="decisions.id", unique=True)


class Withdrawal(SQLModel, table=True):
    """A decision (or a check copy's answer) taken back by the person who made it, soon after: the item is pending
    again. The decision itself stays as it was, superseded by nothing; this row says who withdrew it and when."""

    __tablename__ = "withdrawals"

    id: int | None = Field(default=None, primary_key=True)
    withdrawn_id: int = Field(unique=True, description="the decision's or answer's id (they share one id space)")
    suggestion_id: int = Field(foreign_key="suggestions.id", index=True)
    user_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class DecisionPublic(SQLModel):
    """A decision beside the suggestion it judged."""

    id: int
    suggestion_id: int
    user_id: int
    label: Label
    point: str | None = None
    tags: list[str] = Field(default_factory=list)
    lifecycle_stage: str | None = None
    accepted: bool
    direction: str = Field(description="same, rosier (greener than suggested) or harsher")
    shift: int = Field(description="steps on Red < Yellow < Green from the suggestion to the choice")
    sentiment_reason: str | None
    override_reason: str | None
    note: str | None
    blind: bool
    viewed_ms: int | None
    server_ms: int | None = Field(default=None, description="ms from the item being served to this person "
                                                            "(or their previous decision) to this one, by the "
                                                            "server's clock")
    revision: int
    supersedes_id: int | None
    superseded: bool
    withdrawn_at: datetime | None = Field(default=None, description="when its maker withdrew it (the item went "
                                                                    "back to the queue); null if never")
    created_at: datetime
    suggested_label: Label
    confidence: float
    model_version: str
    scope: str
    account_id: int
    interaction_id: int | None
    team: str
    segment: str | None


def direction(steps: int) -> str:
    """A shift in words: same, rosier (greener than suggested) or harsher."""
    return "same" if steps == 0 else "rosier" if steps > 0 else "harsher"


def decision_public(decision: Decision, superseded: bool, withdrawn_at: datetime | None = None) -> DecisionPublic:
    """A decision with the suggestion facts it was judged against."""
    steps = shift(Label(decision.suggested_label), Label(decision.label))
    assert decision.id is not None
    return DecisionPublic.model_validate(decision, update={
        "tags": list(decision.tags or []), "direction": direction(steps), "shift": steps, "superseded": superseded,
        "withdrawn_at": withdrawn_at})


class DecisionsPublic(SQLModel):
    """A list of decisions with their suggestions."""

    data: list[DecisionPublic]
    count: int
