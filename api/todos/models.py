"""To-dos: follow-ups recorded with a pulse update."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime

from pydantic import ConfigDict, field_validator
from sqlalchemy import Column, Date
from sqlmodel import Field, SQLModel

from api.db import UTCDateTime, utcnow
from api.ids import Id


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


class Todo(SQLModel, table=True):
    """A to-do on an account; open until someone completes it."""

    __tablename__ = "todos"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="accounts.id", index=True)
    decision_id: int | None = Field(default=None, foreign_key="decisions.id")
    title: str = Field(max_length=300)
    owner_id: int = Field(foreign_key="users.id", index=True)
    due_on: date = Field(sa_column=Column(Date(), nullable=False))
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    done_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    done_by: int | None = Field(default=None, foreign_key="users.id")


class TodoPublic(SQLModel):
    """A to-do as the API shows it."""

    id: int
    account_id: int
    decision_id: int | None
    title: str
    owner_id: int
    due_on: date
    created_at: datetime
    done_at: datetime | None
    done_by: int | None
