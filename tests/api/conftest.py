"""Fixtures shared by the ingestion tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from api.accounts import service as accounts
from api.accounts.models import AccountCreate
from api.config import get_settings
from api.db import make_engine, migrate
from api.users import service as users
from api.users.models import Role


@pytest.fixture
def database(fresh_database_url: str, tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("PULSE_MODEL_DIR", str(tiny_model))
    monkeypatch.setenv("PULSE_AGENT_DOMAINS", '["pulse-vendor.example"]')
    monkeypatch.delenv("PULSE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    migrate(fresh_database_url)
    engine = make_engine(fresh_database_url)
    with Session(engine) as session:
        admin, _ = users.create(session=session, name="Admin", role=Role.ADMIN, team=None)
        accounts.create(session=session, user=admin, data=AccountCreate(
            name="Northwind Logistics", team="emea", external_id="crm-1", email_domains=["northwind.example"]))
        accounts.create(session=session, user=admin, data=AccountCreate(
            name="Bluefin Analytics", team="emea", external_id="crm-2", email_domains=["Bluefin.example"]))
        session.commit()  # records flush; whoever calls them commits
    engine.dispose()
    yield fresh_database_url
    get_settings.cache_clear()
