"""Users: people and integrations, each with a role, a team and an API key kept only as a hash."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from api.db import UTCDateTime, utcnow


class Role(StrEnum):
    """What a user may do; csm and lead are confined to their team."""

    CSM = "csm"
    LEAD = "lead"
    DATA_SCIENTIST = "data_scientist"
    ADMIN = "admin"


class User(SQLModel, table=True):
    """A person or integration that calls Pulse."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    role: Role = Field(sa_type=String(32))
    team: str | None = Field(default=None, max_length=100, index=True)
    api_key_hash: str = Field(max_length=64, unique=True)
    key_prefix: str = Field(max_length=16)
    disabled: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class UserPublic(SQLModel):
    """A user as others see it: never the key or its hash."""

    id: int
    name: str
    role: Role
    team: str | None
