"""Shared fixtures: a tiny real model, migrated databases (SQLite and PostgreSQL), clients, factories."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

import api.tables  # noqa: F401  (every table registered, for emptying them)
from api.config import Settings
from api.db import make_engine, migrate
from api.demo_messages import MESSAGES
from api.main import create_app
from api.model_versions import service as model_versions
from api.users import service as users
from api.users.models import Role, User
from tests.postgres import find_bin, throwaway_server
from training.datasets import read_csv
from training.train import BaselineParams, train_baseline

# Derived serving graphs go to a cache of this run's own, shared with the servers the tests start.
os.environ.setdefault("PULSE_CACHE_DIR", tempfile.mkdtemp(prefix="pulse-test-cache-"))

TABLES = [table.name for table in reversed(SQLModel.metadata.sorted_tables)]  # every table, referrers first
REQUIRE_POSTGRES = os.environ.get("PULSE_TEST_REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def labelled_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """16 of Pulse's own demo messages of each colour as a labelled CSV (written for Pulse, not the airline data):
    a base small enough that the tests' confirmed labels clearly improve on it, as they do on a team's own text."""
    path = tmp_path_factory.mktemp("data") / "messages.csv"
    chosen = [m for colour in ("Red", "Yellow", "Green") for m in [m for m in MESSAGES if m[0] == colour][:16]]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for label, _kind, _subject, body, _reason in chosen:
            writer.writerow([body.format(contact="Ana Souza", company="Acme"), label])
    return path


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory, labelled_csv: Path) -> Path:
    """A real TF-IDF model trained in a second on a few dozen rows."""
    out = tmp_path_factory.mktemp("models") / "tiny"
    train_baseline(read_csv(labelled_csv), out)
    return out


@pytest.fixture(scope="session")
def second_model(tmp_path_factory: pytest.TempPathFactory, labelled_csv: Path) -> Path:
    """Another real TF-IDF version (other hyper-parameters), to promote, shadow or backfill with."""
    out = tmp_path_factory.mktemp("models") / "second"
    train_baseline(read_csv(labelled_csv), out, params=BaselineParams(c=0.3, seed=7))
    return out


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """A migrated throwaway PostgreSQL database for the whole run."""
    configured = os.environ.get("PULSE_TEST_POSTGRES_URL")
    if configured:
        yield configured
        return
    require_postgres_installed()
    with throwaway_server() as url:
        yield url


def require_postgres_installed() -> None:
    """Skip where PostgreSQL is not installed, unless the run requires it (PULSE_TEST_REQUIRE_POSTGRES=1)."""
    if find_bin() is None:
        if REQUIRE_POSTGRES:
            pytest.fail("PULSE_TEST_REQUIRE_POSTGRES=1 but PostgreSQL is not installed")
        pytest.skip("PostgreSQL is not installed (apt-get install -y postgresql)")


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file for the whole run."""
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'pulse.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each database test runs on SQLite and on PostgreSQL."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


_migrated: set[str] = set()


@pytest.fixture
def engine(database_url: str, tiny_model: Path) -> Iterator[Engine]:
    """A migrated, emptied database with the tiny model registered and active."""
    if database_url not in _migrated:
        migrate(database_url)
        _migrated.add(database_url)
    engine = make_engine(database_url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
        else:
            for table in TABLES:
                connection.execute(text(f"DELETE FROM {table}"))
    with Session(engine) as session:
        model_versions.ensure_active(session=session, directory=tiny_model)
        session.commit()  # records flush; whoever calls them commits
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session for checking rows in the database."""
    with Session(engine) as session:
        yield session


@pytest.fixture
def settings(database_url: str, tiny_model: Path) -> Settings:
    """Settings for the app under test."""
    # No blind items unless a test asks for them: most tests read the suggested label back.
    return Settings(database_url=database_url, model_dir=tiny_model, log_format="text", log_level="WARNING",
                    blind_share=0.0, embedded_worker=False, rate_limit_per_minute=0, login_attempts_per_minute=0,
                    webhook_allow_private=True)  # the tests' receivers listen on loopback


@pytest.fixture
def client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    """A client of the app, with its lifespan run (the model is loaded at start-up)."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client


UserFactory = Callable[..., tuple[User, dict[str, str]]]


@pytest.fixture
def make_user(engine: Engine) -> UserFactory:
    """Create a user; returns it with the Authorization header for its key."""

    def make(role: Role = Role.CSM, team: str | None = "emea", name: str | None = None) -> tuple[User, dict[str, str]]:
        with Session(engine, expire_on_commit=False) as session:  # the user stays readable after the commit
            user, key = users.create(session=session, name=name or f"{role.value} of {team}", role=role, team=team)
            session.commit()  # records flush; whoever calls them commits
        return user, {"Authorization": f"Bearer {key}"}

    return make


@pytest.fixture
def emea_csm(make_user: UserFactory) -> tuple[User, dict[str, str]]:
    """A CSM of team emea."""
    return make_user(Role.CSM, "emea", "Chloé Martin")


@pytest.fixture
def make_account(client: TestClient, emea_csm: tuple[User, dict[str, str]]) -> Callable[..., dict[str, Any]]:
    """Create an account through the API (as the emea CSM unless other headers are given)."""

    def make(headers: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
        body = {"name": "Northwind Logistics", "renewal_date": "2027-01-15", "arr": 120000.0} | fields
        response = client.post("/v1/accounts", json=body, headers=headers or emea_csm[1])
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    return make


@pytest.fixture
def post_message(client: TestClient, emea_csm: tuple[User, dict[str, str]]) -> Callable[..., dict[str, Any]]:
    """Post an interaction through the API and return the answer's JSON."""

    def post(account_id: int, body: str, headers: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
        payload = {"account_id": account_id, "kind": "email", "body": body} | fields
        response = client.post("/v1/interactions", json=payload, headers=headers or emea_csm[1])
        assert response.status_code in (200, 201), response.text
        result: dict[str, Any] = response.json()
        return result

    return post


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of its own (not shared with the other tests), on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    server: str = request.getfixturevalue("postgresql_url")
    name = f"pulse_{tmp_path.name.lower().replace('-', '_')[-40:]}"
    admin = make_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def tiny_transformer(tmp_path_factory: pytest.TempPathFactory, labelled_csv: Path) -> Path:
    """A real fine-tuned MiniLM with its int8 graph, from one quick epoch on 48 demo messages."""
    from training.finetune import FinetuneParams, finetune

    out = tmp_path_factory.mktemp("models") / "tiny-transformer"
    data = read_csv(labelled_csv)
    finetune(data, out, dev=data, params=FinetuneParams(epochs=2, batch_size=8, calibration_share=0.25))
    return out
