"""Jobs: background work kept in the database, so that any worker on any machine can take it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, String, Text
from sqlmodel import Field, SQLModel

import api.accounts.models  # noqa: F401 - the accounts table a foreign key names
import api.events.models  # noqa: F401 - the events table a foreign key names
from api.db import UTCDateTime, utcnow


class JobKind(StrEnum):
    """What a job does."""

    WEBHOOK = "webhook"  # deliver one event to one endpoint
    ROLLUP = "rollup"  # refresh an account's roll-up after new text arrived
    SCORE = "score"  # score interactions with a model version (backfill)
    ADAPT = "adapt"  # build a challenger adapted from the confirmed labels (api.lab.adapting)


class JobStatus(StrEnum):
    """Where a job stands: pending → running → done, or dead once its attempts are spent."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


class Job(SQLModel, table=True):
    """One unit of background work; a worker claims it, runs it and records how it went."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_claimable", "status", "run_after"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: JobKind = Field(sa_type=String(16), index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: JobStatus = Field(default=JobStatus.PENDING, sa_type=String(16))
    attempts: int = 0
    max_attempts: int = 8
    run_after: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    # A running job whose lease has expired (its worker died) may be claimed again.
    locked_by: str | None = Field(default=None, max_length=200)
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    account_id: int | None = Field(default=None, foreign_key="accounts.id", index=True)
    event_id: int | None = Field(default=None, foreign_key="events.id", index=True)

