"""To-dos: follow-ups recorded with a pulse update."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date
from sqlmodel import Field, SQLModel

import api.accounts.models  # noqa: F401 - the accounts table a foreign key names
import api.decisions.models  # noqa: F401 - the decisions table a foreign key names
import api.users.models  # noqa: F401 - the users table a foreign key names
from api.db import UTCDateTime, utcnow


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
