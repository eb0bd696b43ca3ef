"""Sources: adding, listing and removing them, and the lease a worker holds while it reads one.

A claim is one conditional UPDATE (on PostgreSQL after `SELECT … FOR UPDATE SKIP LOCKED`), so two workers
never read one source at once on either database; a worker that died loses its lease when `locked_until`
passes. Only the lease holder records the outcome.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import and_, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.db import utcnow
from api.errors import NotFoundError
from api.sources.models import Source, SourceCreate, SourceKind, SourcePublic, ZendeskSourceCreate
from pipelines.ingest.zendesk_incremental import zendesk_base

OUTCOMES = ("stored", "unmatched", "errors", "skipped")


def create(session: Session, data: SourceCreate) -> Source:
    """Add a mailbox, due at once."""
    box = data.mailbox()
    source = Source(kind=SourceKind.IMAP.value, name=box.display(), team=data.team, config=box.config(),
                    credential_env=data.password_env or data.oauth2_token_env)
    session.add(source)
    session.flush()
    return source


def create_zendesk(session: Session, data: ZendeskSourceCreate) -> Source:
    """Add a Zendesk account, due at once; its cursor is the checkpoint once read."""
    source = Source(kind=SourceKind.ZENDESK.value, name=zendesk_base(data.subdomain), team=data.team,
                    config={"subdomain": data.subdomain, "email": data.email, "start_time": data.start_time},
                    credential_env=data.token_env)
    session.add(source)
    session.flush()
    return source


def public(source: Source) -> SourcePublic:
    """A source as the API and the pages show it."""
    return SourcePublic.model_validate(source, from_attributes=True)


def get_all(session: Session) -> list[Source]:
    """Every source, oldest first."""
    return list(session.exec(select(Source).order_by(col(Source.id))))


def get_or_raise(session: Session, source_id: int) -> Source:
    """A source, or a 404 naming it."""
    source = session.get(Source, source_id)
    if source is None:
        raise NotFoundError(f"source {source_id} not found")
    return source


def delete(session: Session, source_id: int) -> Source:
    """Stop reading a source: its row goes; what it stored stays."""
    source = get_or_raise(session, source_id)
    session.delete(source)
    session.flush()
    return source


def poll_now(session: Session, source_id: int) -> Source:
    """Make a source due now: the next worker to look reads it, back-off or not."""
    source = get_or_raise(session, source_id)
    source.next_poll_at = utcnow()
    session.add(source)
    session.flush()
    return source


def _free(now: datetime) -> Any:
    return or_(col(Source.locked_until).is_(None), col(Source.locked_until) < now)


def claim(session: Session, *, worker: str, lease_s: float, source_id: int | None = None,
          limit: int = 4) -> list[Source]:
    """Lease up to `limit` due sources (or the one named, due or not) to this worker; the caller commits at once."""
    now = utcnow()
    ready = and_(_free(now), col(Source.id) == source_id if source_id is not None
                 else col(Source.next_poll_at) <= now)
    picked = select(Source.id).where(ready).order_by(col(Source.next_poll_at), col(Source.id)).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.exec(picked.with_for_update(skip_locked=True)))
        if not ids:
            return []
        claimed = update(Source).where(col(Source.id).in_(ids))
    else:  # one statement under SQLite's single write lock
        claimed = update(Source).where(col(Source.id).in_(picked.scalar_subquery())).where(ready)
    ids = list(session.execute(claimed.values(locked_by=worker, locked_until=now + timedelta(seconds=lease_s))
                               .returning(col(Source.id))).scalars())
    if not ids:
        return []
    return list(session.exec(select(Source).where(col(Source.id).in_(ids)).order_by(col(Source.id))
                             .execution_options(populate_existing=True)))


def finish(session: Session, source: Source, *, worker: str, values: dict[str, Any],
           counts: dict[str, int] | None = None) -> bool:
    """Record a read's outcome and end the lease; False if the lease was lost meanwhile (nothing is written)."""
    added = {name: col(getattr(Source, name)) + n for name, n in (counts or {}).items() if n}
    result = session.execute(update(Source).where(col(Source.id) == source.id).where(col(Source.locked_by) == worker)
                             .values(**values, **added, locked_by=None, locked_until=None))
    return bool(result.rowcount)  # type: ignore[attr-defined]


class SourceMetrics(Collector):
    """`pulse_source_messages_total{source, kind, outcome}`, read from the sources' own counters at each scrape,
    so the figures are every worker's, on any machine, not this process's alone."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def describe(self) -> Iterator[CounterMetricFamily]:
        """The metric's name and labels, without reading the database (at registration)."""
        yield self._family()

    def collect(self) -> Iterator[CounterMetricFamily]:
        """One sample per source and outcome."""
        family = self._family()
        try:
            with Session(self.engine) as session:
                rows = [(s.id, s.kind, s.stored, s.unmatched, s.errors, s.skipped)
                        for s in session.exec(select(Source))]
        except Exception:  # noqa: BLE001 - a scrape before `pulse migrate`, or a lost database, shows no sources
            rows = []
        for source_id, kind, *values in rows:
            for outcome, value in zip(OUTCOMES, values, strict=True):
                family.add_metric([str(source_id), kind, outcome], value)
        yield family

    @staticmethod
    def _family() -> CounterMetricFamily:
        return CounterMetricFamily("pulse_source_messages", "Messages read from each source, by outcome",
                                   labels=["source", "kind", "outcome"])
