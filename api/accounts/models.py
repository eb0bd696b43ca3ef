"""Accounts: the customer companies whose sentiment Pulse tracks."""

from __future__ import annotations

import math
import re
from datetime import date, datetime

from pydantic import ConfigDict, field_validator
from sqlalchemy import Column, Date, UniqueConstraint
from sqlmodel import Field, SQLModel

import api.users.models  # noqa: F401 - the users table a foreign key names
from api.db import UTCDateTime, utcnow
from api.ids import Id
from pipelines.ingest.addresses import DomainError, ascii_domain

DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,63}|xn--[a-z0-9-]{1,59})")
"""A host name in ASCII: internationalised domains are given in Unicode or punycode and stored as punycode."""


class AccountBase(SQLModel):
    """Fields a client may set on an account."""

    name: str = Field(min_length=1, max_length=200)
    segment: str | None = Field(default=None, max_length=100)
    owner_id: Id | None = Field(default=None, foreign_key="users.id")
    renewal_date: date | None = Field(default=None, sa_column=Column(Date(), nullable=True))
    lifecycle_stage: str | None = Field(default=None, max_length=50)
    arr: float | None = Field(default=None, ge=0)
    external_id: str | None = Field(default=None, max_length=200)


class AccountCreate(AccountBase):
    """Body of POST /v1/accounts; team defaults to the caller's own."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    team: str | None = Field(default=None, min_length=1, max_length=100)
    email_domains: list[str] = Field(default_factory=list, max_length=50,
                                     description="senders at these domains are this account's (ingestion)")

    @field_validator("arr")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError(f"arr must be a finite amount, got {value}")
        return value

    @field_validator("email_domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        cleaned = []
        for given in value:
            try:
                domain = ascii_domain(given)
            except DomainError as error:
                raise ValueError(str(error)) from None
            if not DOMAIN.fullmatch(domain):
                raise ValueError(f"{domain!r} is not an e-mail domain like example.com")
            cleaned.append(domain)
        return sorted(set(cleaned))


class Account(AccountBase, table=True):
    """A customer company, owned by one team."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("team", "external_id", name="uq_accounts_team_external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team: str = Field(max_length=100, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class AccountDomain(SQLModel, table=True):
    """An e-mail domain whose senders belong to an account (for matching ingested mail)."""

    __tablename__ = "account_domains"

    domain: str = Field(primary_key=True, max_length=253)
    account_id: int = Field(foreign_key="accounts.id", index=True)
