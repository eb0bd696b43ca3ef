"""A per-key request limit that every server process shares, kept in the database.

Fixed one-minute windows: each request adds one to its key's row for the current window with a
single upsert, and the count it returns decides. The rows live in the database every process
already uses, so the limit holds across `--workers` and machines. On PostgreSQL the table is
UNLOGGED (counters need no crash safety); on SQLite the limiter writes through its own connection
with synchronous=OFF, so counting costs no fsync.
"""

from __future__ import annotations

import random
import time

from sqlalchemy import BigInteger, Column, event, text
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel

from api.db import make_engine
from api.errors import TooManyRequestsError

WINDOW_S = 60


class RateLimitWindow(SQLModel, table=True):
    """Requests of one key in one window (the table migration 0008 makes unlogged on PostgreSQL)."""

    __tablename__ = "rate_limits"

    key: str = Field(primary_key=True, max_length=64)
    window_start: int = Field(sa_column=Column(BigInteger, primary_key=True))
    hits: int

UPSERT = text("INSERT INTO rate_limits (key, window_start, hits) VALUES (:key, :window, 1) "
              "ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING hits")


class RateLimiter:
    """Counts requests per key and window; refuses the ones over `per_minute` (0: no limit)."""

    def __init__(self, url: str, per_minute: int) -> None:
        self.per_minute = per_minute
        self.engine: Engine | None = None
        if per_minute > 0:
            self.engine = make_engine(url)
            if self.engine.dialect.name == "sqlite":
                event.listen(self.engine, "connect", _no_fsync)

    def hit(self, key: str) -> None:
        """Count one request; raise 429 with the seconds to wait once the window's allowance is used."""
        if self.engine is None:
            return
        now = time.time()
        window = int(now // WINDOW_S) * WINDOW_S
        with self.engine.begin() as connection:
            hits = int(connection.execute(UPSERT, {"key": key, "window": window}).scalar_one())
            if random.random() < 0.01:  # now and then, forget windows that have ended
                connection.execute(text("DELETE FROM rate_limits WHERE window_start < :old"), {"old": window})
        if hits > self.per_minute:
            wait = max(1, int(window + WINDOW_S - now + 0.999))
            raise TooManyRequestsError(f"rate limit of {self.per_minute} requests a minute reached for this key; "
                                       f"retry in {wait} s", retry_after=wait)

    def close(self) -> None:
        """Release the limiter's connections."""
        if self.engine is not None:
            self.engine.dispose()


def _no_fsync(connection: object, _record: object) -> None:
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()
