"""A per-key request limit that every server process shares, kept in the database.

Fixed one-minute windows: each request adds one to its key's row for the current window with a
single upsert, and the count it returns decides. The rows live in the database every process
already uses, so the limit holds across `--workers` and machines. On PostgreSQL the table is
UNLOGGED (counters need no crash safety). On SQLite the counters live in a file of their own beside
the database (`<database>-ratelimit`), written with synchronous=OFF: counting costs no fsync and can
never weaken the durability of the decisions in the database itself.

Sign-in attempts are counted the same way, per client address (`login_per_minute`).
"""

from __future__ import annotations

import random
import time

from sqlalchemy import BigInteger, Column, event, text
from sqlalchemy.engine import Engine, make_url
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

COUNTER_DDL = ("CREATE TABLE IF NOT EXISTS rate_limits (key VARCHAR(64) NOT NULL, window_start BIGINT NOT NULL, "
               "hits INTEGER NOT NULL, PRIMARY KEY (key, window_start))")
UPSERT = text("INSERT INTO rate_limits (key, window_start, hits) VALUES (:key, :window, 1) "
              "ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING hits")


def counter_url(database_url: str) -> str:
    """Where the counters live: a SQLite database's own side file, or the PostgreSQL database itself."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return database_url
    if not url.database or url.database == ":memory:":
        return "sqlite://"
    return url.set(database=f"{url.database}-ratelimit").render_as_string(hide_password=False)


class RateLimiter:
    """Counts requests per key and window; refuses the ones over `per_minute` (0: no limit).

    `attempt` counts sign-in attempts per client address against `login_per_minute` (0: no limit).
    """

    def __init__(self, url: str, per_minute: int, login_per_minute: int = 0) -> None:
        self.per_minute = per_minute
        self.login_per_minute = login_per_minute
        self.engine: Engine | None = None
        if per_minute > 0 or login_per_minute > 0:
            self.engine = make_engine(counter_url(url))
            if self.engine.dialect.name == "sqlite":
                event.listen(self.engine, "connect", _side_file)

    def hit(self, key: str) -> None:
        """Count one request of an API key; raise 429 with the seconds to wait once the window's allowance is used."""
        self._count(key, self.per_minute, "requests a minute", "key")

    def attempt(self, address: str) -> None:
        """Count one sign-in attempt from a client address; 429 past the allowance."""
        self._count(f"login:{address}"[:64], self.login_per_minute, "sign-in attempts a minute", "address")

    def _count(self, key: str, limit: int, what: str, whose: str) -> None:
        if self.engine is None or limit <= 0:
            return
        now = time.time()
        window = int(now // WINDOW_S) * WINDOW_S
        with self.engine.begin() as connection:
            hits = int(connection.execute(UPSERT, {"key": key, "window": window}).scalar_one())
            if random.random() < 0.01:  # now and then, forget windows that have ended
                connection.execute(text("DELETE FROM rate_limits WHERE window_start < :old"), {"old": window})
        if hits > limit:
            wait = max(1, int(window + WINDOW_S - now + 0.999))
            raise TooManyRequestsError(f"rate limit of {limit} {what} reached for this {whose}; retry in {wait} s",
                                       retry_after=wait)

    def close(self) -> None:
        """Release the limiter's connections."""
        if self.engine is not None:
            self.engine.dispose()


def _side_file(connection: object, _record: object) -> None:
    """The counters' own SQLite file: no fsync (they need no crash safety), and its table made on first use."""
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.execute(COUNTER_DDL)
    cursor.close()
