"""Model versions: immutable trained artifacts, their metrics, provenance and status."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel

from api.db import UTCDateTime, utcnow


class ModelStatus(StrEnum):
    """Where a version is in its life: only one is active at a time."""

    CANDIDATE = "candidate"
    SHADOW = "shadow"
    ACTIVE = "active"
    RETIRED = "retired"


class ModelVersion(SQLModel, table=True):
    """A trained artifact that suggestions name."""

    __tablename__ = "model_versions"

    version: str = Field(primary_key=True, max_length=100)
    kind: str = Field(max_length=50)
    status: ModelStatus = Field(default=ModelStatus.CANDIDATE, sa_type=String(16), index=True)
    artifact_path: str = Field(max_length=1000)
    artifact_sha256: str = Field(max_length=64)
    metrics: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    provenance: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    promoted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class ModelVersionPublic(SQLModel):
    """A model version as the API shows it."""

    version: str
    kind: str
    status: ModelStatus
    artifact_sha256: str
    metrics: dict[str, Any]
    provenance: dict[str, Any]
    created_at: datetime
    promoted_at: datetime | None


class ModelVersionsPublic(SQLModel):
    """A list of model versions."""

    data: list[ModelVersionPublic]
    count: int
