"""The database engine, its session dependency, the UTC timestamp type, and migrations."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any

from alembic import command
from alembic.config import Config
from fastapi import Query
from pydantic import BeforeValidator
from sqlalchemy import DateTime, event, func
from sqlalchemy.engine import Dialect, Engine, make_url
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine, select

from api.errors import UnprocessableError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back timezone-aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str) -> Engine:
    """An engine for the URL; SQLite gets WAL, synchronous=FULL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        _owner_only(make_url(url).database)
        # hide_parameters: a failing statement's error (and so the log) never carries its values, which are
        # customer text, keys' hashes or webhook secrets.
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True)


def _owner_only(database: str | None) -> None:
    """Create a SQLite file readable and writable by its owner only (it holds keys' hashes and webhook
    secrets); SQLite gives its -wal and -shm files the same mode. An existing file is left as it is."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.exists() and path.parent.is_dir():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    # synchronous=FULL: a commit is on disk before the client hears 201, even if the process dies.
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=30000"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def session_scope(engine: Engine) -> Iterator[Session]:
    """One session per request; rolled back if the request fails before committing."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


def alembic_config(url: str) -> Config:
    """Alembic configuration pointing at Pulse's migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Bring the database schema to the newest migration."""
    command.upgrade(alembic_config(url), "head")


def count(session: Session, query: Any) -> int:
    """Rows a query would return, counted by the database."""
    return int(session.exec(select(func.count()).select_from(query.order_by(None).subquery())).one())


FUTURE_SLACK = timedelta(days=1)
"""How far ahead of this server's clock a recorded moment may be (clocks differ; time zones are mistyped)."""


def past_moment(value: datetime, field: str, why: str = "") -> datetime:
    """A recorded moment (when a customer wrote, when a signal was observed) in UTC, for a field validator:
    ValueError when its UTC time leaves years 1-9999 or it lies more than FUTURE_SLACK ahead."""
    try:
        moment = value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{field} must be a time whose UTC equivalent lies in years 1 to 9999, "
                         f"got {value.isoformat()}") from None
    if moment > utcnow() + FUTURE_SLACK:
        raise ValueError(f"{field} {value.isoformat()} is in the future{why}")
    return moment


def _whole_day(value: Any) -> Any:
    """A bare date as an upper bound means the whole of that day: its last microsecond, in UTC. Anything else
    goes on as sent (an impossible date, 2025-13-01, among them), so its 422 quotes what the caller typed."""
    if isinstance(value, str) and len(value.strip()) == 10 and value.strip()[4:5] == "-":
        try:
            return end_of_day(date.fromisoformat(value.strip()))
        except ValueError:
            return value
    return value


Until = Annotated[datetime | None, BeforeValidator(_whole_day), Query(
    description="inclusive: decisions made at or before this time; a date alone (2026-12-07) includes that whole "
                "day (UTC)")]
"""The `until` of a listing or the audit: inclusive, so From = Until = a day means that day."""


def end_of_day(day: date) -> datetime:
    """The last microsecond of a day in UTC: an inclusive upper bound for that day."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def as_utc(moment: datetime | None, field: str = "time") -> datetime | None:
    """A query timestamp in UTC; one given without a timezone is taken as UTC.

    One whose UTC time falls outside years 1-9999 ("0001-01-01T00:00:00+01:00") is refused with 422.
    """
    if moment is None:
        return None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        raise UnprocessableError(f"{field} must be a time whose UTC equivalent lies in years 1 to 9999, "
                                 f"got {moment.isoformat()!r}", field=field) from None
