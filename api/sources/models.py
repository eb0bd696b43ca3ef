"""Sources: mailboxes and help desks (Zendesk) whose new messages a worker ingests by itself.

A source keeps where it is (its JSON `config`), the *name* of the environment variable that holds its
password or token (never the secret: see the README's Ingestion section), how far it has read (its
`checkpoint`), when it is next due, its health, and what it stored. A worker claims a source with a
lease, as it claims jobs, so two workers never read one source at once.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import ConfigDict, model_validator
from sqlalchemy import JSON, Column, Index, String, Text
from sqlmodel import Field, SQLModel

from api.db import UTCDateTime, utcnow
from pipelines.ingest.imap import Mailbox, mailbox_from_url
from pipelines.ingest.zendesk_incremental import zendesk_base, zendesk_headers

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,199}$")


class SourceKind(StrEnum):
    """Where a source's messages come from."""

    IMAP = "imap"
    ZENDESK = "zendesk"


class Source(SQLModel, table=True):
    """One mailbox or help desk that a worker keeps up with."""

    __tablename__ = "sources"
    __table_args__ = (Index("ix_sources_due", "next_poll_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_type=String(16))
    name: str = Field(max_length=600)  # as people see it (imaps://user@host/INBOX): no secret
    team: str = Field(max_length=100, index=True)  # messages are matched to this team's accounts
    config: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    credential_env: str | None = Field(default=None, max_length=200)  # the variable's name, never its value
    checkpoint: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    next_poll_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    last_sync_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    failing_since: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    failures: int = 0  # failed syncs in a row: the back-off grows with them
    failing_reported: bool = False  # source.failing was recorded for this run of failures
    last_report: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    stored: int = 0
    unmatched: int = 0
    errors: int = 0
    skipped: int = 0  # ours, empty once cleaned, or over the size limit
    locked_by: str | None = Field(default=None, max_length=200)
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class SourceCreate(SQLModel):
    """Body of POST /v1/sources: a mailbox, and the environment variable its password or token is in."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    kind: Literal["imap"] = "imap"
    url: str = Field(max_length=1000, description="imaps://user@host[:port]/FOLDER (TLS), or imap://… (STARTTLS)")
    team: str = Field(min_length=1, max_length=100, description="its messages are matched to this team's accounts")
    password_env: str | None = Field(default=None, max_length=200,
                                     description="the environment variable holding the password (its name only)")
    oauth2_token_env: str | None = Field(default=None, max_length=200,
                                         description="the environment variable holding an OAuth2 token (XOAUTH2)")
    tls: Literal["tls", "starttls", "none"] | None = Field(
        default=None, description="default: tls for imaps://, starttls for imap://; none only on loopback")
    ca_file: str | None = Field(default=None, max_length=1000,
                                description="a private CA's certificate file to verify the server with")

    @model_validator(mode="after")
    def _one_credential(self) -> SourceCreate:
        given = [v for v in (self.password_env, self.oauth2_token_env) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of password_env and oauth2_token_env: the name of the environment "
                             "variable holding the secret")
        if not ENV_NAME.match(given[0]):
            # Not echoed: what was given may be the secret itself, put where its variable's name belongs.
            raise ValueError("password_env and oauth2_token_env take an environment variable's name (letters, "
                             "digits and _, not starting with a digit), never the secret itself")
        self.mailbox()  # the URL is checked here, so a bad one is a 422 naming it
        return self

    def mailbox(self) -> Mailbox:
        """The mailbox this body describes."""
        return mailbox_from_url(self.url, tls=self.tls, auth="xoauth2" if self.oauth2_token_env else "password",
                                ca_file=self.ca_file)


class ZendeskSourceCreate(SQLModel):
    """A Zendesk account to keep up with (`pulse sources add zendesk`), and the variable its token is in."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    subdomain: str = Field(max_length=63, description="acme for acme.zendesk.com")
    team: str = Field(min_length=1, max_length=100, description="its messages are matched to this team's accounts")
    token_env: str = Field(max_length=200, description="the environment variable holding the API token (its name)")
    email: str | None = Field(default=None, max_length=254, description="the agent the API token belongs to; "
                                                                         "none for an OAuth access token")
    start_time: int = Field(default=0, ge=0, description="the Unix time the first read starts from (0: all)")

    @model_validator(mode="after")
    def _checked(self) -> ZendeskSourceCreate:
        if not ENV_NAME.match(self.token_env):
            raise ValueError(f"{self.token_env[:200]!r} is not an environment variable name (letters, digits, _)")
        zendesk_base(self.subdomain)  # a ValueError naming a wrong subdomain
        zendesk_headers("token", self.email)  # and one naming a wrong e-mail address
        return self


class SourcePublic(SQLModel):
    """A source as people see it: where, whose, how it is doing; the variable's name, never a secret."""

    id: int
    kind: str
    name: str
    team: str
    credential_env: str | None
    created_at: datetime
    last_sync_at: datetime | None
    next_poll_at: datetime
    last_error: str | None
    failing_since: datetime | None
    stored: int
    unmatched: int
    errors: int
    skipped: int
    checkpoint: dict[str, Any]
    last_report: dict[str, Any]


class SourcesPublic(SQLModel):
    """Every source."""

    data: list[SourcePublic]
    count: int
