"""The account's pulse as the API shows it: the account with its pulse, cadence and staleness, and its timeline."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from api.accounts.models import AccountBase
from api.decisions.shown import SuggestionPublic
from api.outcomes.models import OutcomePublic
from api.signals.models import SignalPublic


class Pulse(SQLModel):
    """An account's current sentiment: the latest human decision at account scope."""

    label: str
    decided_at: datetime
    decided_by: int
    decision_id: int
    suggestion_id: int
    tags: list[str] = Field(default_factory=list, description="the tags given with this pulse update")


class AccountPublic(AccountBase):
    """An account with its pulse, cadence and staleness."""

    id: int
    team: str
    created_at: datetime
    email_domains: list[str] = Field(default_factory=list)
    pulse: Pulse | None = None
    cadence: str
    pulse_due: date
    stale: bool
    latest_suggestion: SuggestionPublic | None = None
    signals: list[SignalPublic] = Field(default_factory=list, description="the latest signal of each kind")
    risk_signals: int = Field(default=0, description="how many of those signals read as risk")
    outcome: OutcomePublic | None = Field(default=None, description="the latest outcome (renewed, churned, downsold)")
    churned: bool = Field(default=False, description="the latest outcome is a churn: the account is out of the queue "
                                                     "and never stale until a later outcome (a renewal) reopens it")


class AccountsPublic(SQLModel):
    """A list of accounts."""

    data: list[AccountPublic]
    count: int


class TimelineEvent(SQLModel):
    """One event in an account's history."""

    at: datetime
    type: str
    id: int
    summary: str
    label: str | None = Field(default=None, description="the colour of a suggestion, a decision or a pulse change; "
                              "null for a message, which has none of its own (its suggestion's and decisions' "
                              "events carry it), and for a blind suggestion until it is decided")
    detail: dict[str, object] = Field(default_factory=dict)


class Timeline(SQLModel):
    """An account's events, oldest first."""

    account_id: int
    data: list[TimelineEvent]
    count: int

