"""Events: what changed on an account, kept as an outbox, and the webhook endpoints told about it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import ConfigDict, field_validator
from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel

import api.accounts.models  # noqa: F401 - the accounts table a foreign key names
import api.users.models  # noqa: F401 - the users table a foreign key names
from api.db import UTCDateTime, utcnow


class EventType(StrEnum):
    """What happened. A flip to Red is its own type, so a CRM can subscribe to that alone."""

    PULSE_CHANGED = "pulse.changed"
    PULSE_RED = "pulse.red"
    PULSE_OVERDUE = "pulse.overdue"  # an account's pulse is past its cadence's due date (once per due date)
    MODEL_CHALLENGER_READY = "model.challenger_ready"  # a version adapted from confirmed labels is in shadow
    SOURCE_FAILING = "source.failing"  # a mailbox or help desk has failed to be read for an hour


class Event(SQLModel, table=True):
    """One event, written in the same transaction as the change it reports (the outbox)."""

    __tablename__ = "events"

    id: int | None = Field(default=None, primary_key=True)
    type: EventType = Field(sa_type=String(32), index=True)
    account_id: int | None = Field(default=None, foreign_key="accounts.id", index=True)  # none for model events
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))


class WebhookEndpoint(SQLModel, table=True):
    """A URL an admin configured to receive events, with the secret its deliveries are signed with."""

    __tablename__ = "webhook_endpoints"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    # Kept as is, not hashed: every delivery is signed with it.
    secret: str = Field(max_length=100)
    event_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # pulse: the signed JSON event; slack and teams: those services' incoming-webhook message formats.
    format: str = Field(default="pulse", max_length=16, sa_column_kwargs={"server_default": "pulse"})
    active: bool = True
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class WebhookCreate(SQLModel):
    """Body of POST /v1/webhooks."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    url: str = Field(max_length=2000)
    event_types: list[EventType] = Field(default_factory=lambda: list(EventType), min_length=1)
    format: Literal["pulse", "slack", "teams"] = Field(
        default="pulse", description="pulse: the signed JSON event; slack or teams: a message in that service's "
                                     "incoming-webhook format, posted to the channel's webhook URL")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"url must be an http or https URL with a host, got {value!r}")
        return value


class WebhookPublic(SQLModel):
    """An endpoint as the API shows it; the secret only once, when it is created."""

    id: int
    url: str
    event_types: list[str]
    format: str = "pulse"
    active: bool
    created_at: datetime
    secret: str | None = None


class WebhooksPublic(SQLModel):
    """The configured endpoints."""

    data: list[WebhookPublic]
    count: int
