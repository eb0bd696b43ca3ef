"""Check items: decided messages a lead marked with an agreed colour, re-served to CSMs to measure the audit.

A check item reaches a CSM as a copy: a suggestion row of its own, shaped like any other pending item, whose
check and person are recorded here (`CheckCopy`), so the suggestions table knows nothing of checks. On a share
of copies (decoys) the colour shown is deliberately not the agreed one. Answers are kept here, apart from
decisions, so they never change a pulse, fire an event, enter an export or training, or count in agreement
with the model.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict
from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import api.accounts.models  # noqa: F401 - the accounts table a foreign key names
import api.interactions.models  # noqa: F401 - the interactions table a foreign key names
import api.suggestions.models  # noqa: F401 - the suggestions table a foreign key names
import api.users.models  # noqa: F401 - the users table a foreign key names
from api.db import UTCDateTime, utcnow
from api.ids import Id
from models.labels import Label


class Check(SQLModel, table=True):
    """A decided interaction with the colour a lead agreed it has."""

    __tablename__ = "checks"

    id: int | None = Field(default=None, primary_key=True)
    interaction_id: int = Field(foreign_key="interactions.id", unique=True)
    # The suggestion that was decided, kept for the lead's link (no foreign key: suggestions point here).
    suggestion_id: int
    account_id: int = Field(foreign_key="accounts.id", index=True)
    team: str = Field(max_length=100, index=True)
    label: Label = Field(sa_type=String(8))
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    retired_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class CheckCopy(SQLModel, table=True):
    """A suggestion row served as a check item's copy to one person. The copy has no interaction of its own (the
    check names it), so nothing that reads an interaction's suggestions ever meets it."""

    __tablename__ = "check_copies"

    suggestion_id: int = Field(foreign_key="suggestions.id", primary_key=True)
    check_id: int = Field(foreign_key="checks.id", index=True)
    served_to: int = Field(foreign_key="users.id", index=True)


class CheckAnswer(SQLModel, table=True):
    """A CSM's answer on a check copy; the first answer on a copy is the one measured."""

    __tablename__ = "check_answers"
    __table_args__ = (UniqueConstraint("user_id", "idempotency_key", name="uq_check_answers_user_idempotency_key"),
                      UniqueConstraint("suggestion_id", "revision", name="uq_check_answers_suggestion_revision"))

    id: int | None = Field(default=None, primary_key=True)
    check_id: int = Field(foreign_key="checks.id", index=True)
    suggestion_id: int = Field(foreign_key="suggestions.id", index=True)  # the copy served
    user_id: int = Field(foreign_key="users.id", index=True)
    revision: int = 1  # 1 for the first answer on a copy; one answer per revision, as decisions
    label: Label = Field(sa_type=String(8))
    point: str | None = Field(default=None, max_length=60)
    sentiment_reason: str | None = Field(default=None, max_length=100)
    override_reason: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    agreed_label: Label = Field(sa_type=String(8))
    shown_label: Label = Field(sa_type=String(8))
    decoy: bool
    blind: bool = False
    viewed_ms: int | None = None
    server_ms: int | None = None
    idempotency_key: str | None = Field(default=None, max_length=200)
    request_hash: str | None = Field(default=None, max_length=64)  # as a decision's: a replay must match it whole
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Serving(SQLModel, table=True):
    """When an item was first put in front of a person (a queue read or its page): the server's own clock."""

    __tablename__ = "servings"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    suggestion_id: int = Field(foreign_key="suggestions.id", primary_key=True)
    served_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class CheckCreate(SQLModel):
    """Body of POST /v1/checks."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    suggestion_id: Id = Field(description="a decided suggestion about one message")
    label: Label = Field(description="the colour the lead agreed the message has")
    note: str | None = Field(default=None, max_length=2000)


class CheckPublic(SQLModel):
    """A check item as leads see it, with how often it was served and answered right."""

    id: int
    interaction_id: int
    suggestion_id: int
    account_id: int
    team: str
    label: Label
    note: str | None
    created_by: int
    created_at: datetime
    retired_at: datetime | None
    served: int = 0
    answered: int = 0
    correct: int = 0


class ChecksPublic(SQLModel):
    """A list of check items."""

    data: list[CheckPublic]
    count: int
