"""What the mailbox-source tests share: a mailbox per test, two accounts, one loaded model, messages, reads."""

from __future__ import annotations

import os
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from api.accounts import service as accounts
from api.accounts.models import AccountCreate
from api.config import Settings
from api.db import utcnow
from api.intake import sources as flow
from api.interactions.models import Interaction
from api.model_versions.holder import ModelHolder
from api.sources import service as sources
from api.sources.models import Source, SourceCreate
from api.users import service as users
from api.users.models import Role
from tests import imap


@pytest.fixture(name="mailbox")
def mailbox_fixture(dovecot: imap.Dovecot, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """A fresh mailbox's user, with its password in PULSE_TEST_IMAP_PASSWORD."""
    user, password = dovecot.add_user()
    monkeypatch.setenv("PULSE_TEST_IMAP_PASSWORD", password)
    return user, password


@pytest.fixture(name="world")
def world_fixture(engine: Engine, settings: Settings) -> Settings:
    """Two accounts of team emea, found by their senders' domains; our agents write from pulse-vendor.example."""
    with Session(engine) as session:
        admin, _ = users.create(session=session, name="Admin", role=Role.ADMIN, team=None)
        for name, domain in (("Northwind Logistics", "northwind.example"), ("Bluefin Analytics", "bluefin.example")):
            accounts.create(session=session, user=admin, data=AccountCreate(name=name, team="emea",
                                                                             email_domains=[domain]))
        session.commit()
    return settings.model_copy(update={"agent_domains": ["pulse-vendor.example"]})


@pytest.fixture(scope="module", name="holder")
def holder_fixture(tiny_model: object) -> ModelHolder:
    """One loaded model for the module's reads."""
    from models.options import ServingOptions

    return ModelHolder(ServingOptions())


def message(n: int, sender: str = "ops@northwind.example", body: str | None = None, subject: str | None = None,
            message_id: str | None = None) -> bytes:
    """A customer's e-mail."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "success@pulse-vendor.example"
    mail["Subject"] = subject or f"Update {n}"
    mail["Date"] = format_datetime(utcnow() - timedelta(hours=n))
    mail["Message-ID"] = message_id or f"<m{n}.{os.getpid()}@northwind.example>"
    mail.set_content(body or f"Message {n}: the rollout is going well and the team is happy with the support.")
    return bytes(mail)


def add_source(engine: Engine, dovecot: imap.Dovecot, user: str, folder: str = "INBOX", **fields: object) -> int:
    """A plain-text loopback source for a Dovecot user; its password in PULSE_TEST_IMAP_PASSWORD."""
    data = {"url": f"imap://{user}@127.0.0.1:{dovecot.port}/{folder}", "tls": "none", "team": "emea",
            "password_env": "PULSE_TEST_IMAP_PASSWORD"} | fields
    with Session(engine) as session:
        source = sources.create(session, SourceCreate.model_validate(data))
        session.commit()
        assert source.id is not None
        return source.id


def sync(engine: Engine, settings: Settings, holder: ModelHolder, source_id: int,
         worker: str = "w1") -> list[flow.Step]:
    return flow.read_all(engine, settings, holder.active, worker=worker, source_id=source_id)


def row(engine: Engine, source_id: int) -> Source:
    with Session(engine) as session:
        found = session.get(Source, source_id)
        assert found is not None
        return found


def stored(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Interaction)).one())


