"""Web sessions: a signed-in browser, known by a cookie whose hash is stored, with its CSRF token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

import api.users.models  # noqa: F401 - the users table a foreign key names
from api.db import UTCDateTime, utcnow


class WebSession(SQLModel, table=True):
    """One signed-in browser. Only the cookie's sha256 is stored; signing out deletes the row."""

    __tablename__ = "web_sessions"

    id: str = Field(primary_key=True, max_length=64)  # sha256 of the cookie value
    user_id: int = Field(foreign_key="users.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
