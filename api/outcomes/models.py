"""Outcomes: what later happened to an account, used to judge who was right earlier."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import ConfigDict
from sqlalchemy import Column, Date, String
from sqlmodel import Field, SQLModel

import api.accounts.models  # noqa: F401 - the accounts table a foreign key names
import api.users.models  # noqa: F401 - the users table a foreign key names
from api.db import UTCDateTime, utcnow


class OutcomeKind(StrEnum):
    """How the account's contract ended up."""

    RENEWED = "renewed"
    CHURNED = "churned"
    DOWNSOLD = "downsold"


class OutcomeCreate(SQLModel):
    """Body of POST /v1/accounts/{id}/outcomes."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    kind: OutcomeKind
    occurred_on: date
    note: str | None = Field(default=None, max_length=2000)


class Outcome(SQLModel, table=True):
    """An account's outcome on a date."""

    __tablename__ = "outcomes"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="accounts.id", index=True)
    kind: OutcomeKind = Field(sa_type=String(16))
    occurred_on: date = Field(sa_column=Column(Date(), nullable=False))
    note: str | None = Field(default=None, max_length=2000)
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class OutcomePublic(SQLModel):
    """An outcome as the API shows it."""

    id: int
    account_id: int
    kind: OutcomeKind
    occurred_on: date
    note: str | None
    created_by: int
    created_at: datetime
