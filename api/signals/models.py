"""Signals: objective risk measures of an account, from other systems, beside the CSM's pulse."""

from __future__ import annotations

import math
from datetime import datetime

from pydantic import AwareDatetime, ConfigDict, field_validator, model_validator
from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

import api.accounts.models  # noqa: F401 - the accounts table a foreign key names
import api.users.models  # noqa: F401 - the users table a foreign key names
from api.db import UTCDateTime, past_moment, utcnow

KNOWN_KINDS: dict[str, str] = {
    "open_risk_tasks": "at risk when above 0 (the number of open risk tasks)",
    "opportunity_at_risk": "at risk when above 0 (1: the renewal opportunity is marked at risk)",
    "usage_trend": "at risk when below 0 (the change in usage, in percent)",
    "nps": "at risk when below 0 (the account's net promoter score, -100 to 100)",
}
"""Kinds whose risk Pulse knows how to read from the value; any other kind must say `at_risk` itself."""


def reads_as_risk(kind: str, value: float) -> bool:
    """Whether a known kind's value means risk."""
    return value > 0 if kind in ("open_risk_tasks", "opportunity_at_risk") else value < 0


class SignalCreate(SQLModel):
    """Body of POST /v1/accounts/{id}/signals."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    kind: str = Field(min_length=1, max_length=50, regex=r"^[a-z][a-z0-9_]*$",
                      description=f"known: {', '.join(KNOWN_KINDS)}; any other needs at_risk")
    value: float
    source: str = Field(min_length=1, max_length=100, description="the system it came from, e.g. salesforce")
    observed_at: AwareDatetime
    at_risk: bool | None = Field(default=None, description="whether the value means risk; read from the value "
                                                           "for known kinds when left out")

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value) or abs(value) > 1e12:
            raise ValueError(f"value must be a finite number, got {value}")
        return value

    @field_validator("observed_at")
    @classmethod
    def _not_future(cls, value: datetime) -> datetime:
        return past_moment(value, "observed_at")

    @model_validator(mode="after")
    def _risk_is_known(self) -> SignalCreate:
        if self.at_risk is None and self.kind not in KNOWN_KINDS:
            raise ValueError(f"at_risk is required for kind {self.kind!r}: Pulse reads risk itself only for "
                             f"{', '.join(KNOWN_KINDS)}")
        return self


class Signal(SQLModel, table=True):
    """One observation of a risk measure for an account."""

    __tablename__ = "signals"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="accounts.id", index=True)
    kind: str = Field(sa_type=String(50))
    value: float
    source: str = Field(max_length=100)
    at_risk: bool
    observed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class SignalPublic(SQLModel):
    """A signal as the API shows it."""

    id: int
    account_id: int
    kind: str
    value: float
    source: str
    at_risk: bool
    observed_at: datetime
    created_at: datetime
