"""Interactions: one piece of customer text tied to an account."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, ConfigDict, field_validator
from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import api.accounts.models  # noqa: F401 - the accounts table a foreign key names
import api.users.models  # noqa: F401 - the users table a foreign key names
from api.db import UTCDateTime, past_moment, utcnow
from api.ids import Id


class InteractionKind(StrEnum):
    """Where the text came from."""

    EMAIL = "email"
    TICKET = "ticket"
    CALL_NOTE = "call_note"
    CHAT = "chat"


class TimeSource(StrEnum):
    """Where an interaction's occurred_at came from, when it was not simply given."""

    HEADER = "header"  # the e-mail's Date header
    RECEIVED = "received"  # no usable Date: the newest Received header of the e-mail
    FILE = "file"  # neither: the time the e-mail file was last written
    IMPORT = "import"  # nothing at all: the time it was imported, which is not when it was written
    EXPORT = "export"  # the help-desk export's own time field


class InteractionBase(SQLModel):
    """Fields a client may set on an interaction."""

    account_id: Id = Field(foreign_key="accounts.id", index=True)
    kind: InteractionKind = Field(sa_type=String(16))
    external_id: str | None = Field(default=None, max_length=300)
    author: str | None = Field(default=None, max_length=300)
    subject: str | None = Field(default=None, max_length=1000)
    occurred_at_source: TimeSource | None = Field(
        default=None, sa_type=String(16),
        description="where occurred_at came from when it was not simply given (ingestion sets it)")


class InteractionCreate(InteractionBase):
    """Body of POST /v1/interactions; occurred_at defaults to now and must carry a timezone."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    body: str = Field(min_length=1, max_length=200_000)
    occurred_at: AwareDatetime | None = None

    @field_validator("occurred_at")
    @classmethod
    def _when(cls, value: datetime | None) -> datetime | None:
        # A message from the future would pin every later roll-up's recency weighting to itself.
        return None if value is None else past_moment(value, "occurred_at", "; it is when the customer wrote")


class Interaction(InteractionBase, table=True):
    """A stored interaction; `body` is the cleaned text that was scored."""

    __tablename__ = "interactions"
    __table_args__ = (UniqueConstraint("account_id", "external_id", name="uq_interactions_account_external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    body: str = Field(sa_column=Column(Text, nullable=False))
    occurred_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    language: str | None = Field(default=None, max_length=8)  # of the stored text: ISO 639-1, "und" if unsure


class InteractionPublic(InteractionBase):
    """An interaction as the API shows it."""

    id: int
    body: str
    occurred_at: datetime
    created_by: int
    created_at: datetime
    language: str | None = None
