"""The job queue: enqueue in the caller's transaction, claim without two workers taking one job.

On PostgreSQL a worker claims with `SELECT … FOR UPDATE SKIP LOCKED`, so workers on several
machines share one queue without waiting on each other. SQLite has one writer at a time, so there
a claim is a single `UPDATE … RETURNING` over the claimable rows. A claim is a lease: a job whose
worker died is claimable again once `locked_until` has passed. Delivery is therefore at least
once; webhook receivers deduplicate on the event id.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, update
from sqlmodel import Session, col, select

from api.db import utcnow
from api.jobs.models import Job, JobKind, JobStatus


def enqueue(session: Session, kind: JobKind, payload: dict[str, Any], *, account_id: int | None = None,
            event_id: int | None = None, max_attempts: int = 8, run_after: datetime | None = None) -> Job:
    """Add a job to the caller's transaction: it exists exactly when the caller's change commits."""
    job = Job(kind=kind, payload=payload, account_id=account_id, event_id=event_id, max_attempts=max_attempts,
              run_after=run_after or utcnow())
    session.add(job)
    return job


def pending_for_account(session: Session, kind: JobKind, account_id: int) -> bool:
    """Whether the account already has a job of this kind waiting to start."""
    return session.exec(select(Job.id).where(Job.kind == kind).where(Job.account_id == account_id)
                        .where(Job.status == JobStatus.PENDING)).first() is not None


def _claimable(now: datetime, kinds: list[JobKind]) -> Any:
    ready = or_(and_(col(Job.status) == JobStatus.PENDING, col(Job.run_after) <= now),
                and_(col(Job.status) == JobStatus.RUNNING, col(Job.locked_until) < now))
    return and_(ready, col(Job.kind).in_(kinds))


def claim(session: Session, *, worker: str, kinds: list[JobKind], limit: int, lease_s: float) -> list[Job]:
    """Take up to `limit` ready jobs for this worker, oldest first; the caller commits the claim at once."""
    now = utcnow()
    values = {"status": JobStatus.RUNNING, "locked_by": worker, "locked_until": now + timedelta(seconds=lease_s),
              "attempts": col(Job.attempts) + 1}
    oldest = (col(Job.run_after), col(Job.id))
    picked = select(Job.id).where(_claimable(now, kinds)).order_by(*oldest).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.exec(picked.with_for_update(skip_locked=True)))
        if not ids:
            return []
        claimed = update(Job).where(col(Job.id).in_(ids))
    else:
        # One statement: SQLite runs it under its single write lock, so no two workers take a row.
        claimed = update(Job).where(col(Job.id).in_(picked.scalar_subquery())).where(_claimable(now, kinds))
    ids = list(session.execute(claimed.values(**values).returning(col(Job.id))).scalars())
    if not ids:
        return []
    return list(session.exec(select(Job).where(col(Job.id).in_(ids)).order_by(*oldest)))


def complete(session: Session, job: Job, *, worker: str) -> bool:
    """Mark a claimed job done; False if the lease was lost to another worker meanwhile."""
    return _finish(session, job, worker=worker, status=JobStatus.DONE, error=None, run_after=None)


def fail(session: Session, job: Job, *, worker: str, error: str, base_s: float, max_s: float,
         permanent: bool = False) -> JobStatus:
    """Record a failed attempt: retry after an exponential, jittered delay, or give up once attempts are spent."""
    if permanent or job.attempts >= job.max_attempts:
        _finish(session, job, worker=worker, status=JobStatus.DEAD, error=error, run_after=None)
        return JobStatus.DEAD
    _finish(session, job, worker=worker, status=JobStatus.PENDING, error=error,
            run_after=utcnow() + timedelta(seconds=backoff(job.attempts, base_s, max_s)))
    return JobStatus.PENDING


def backoff(attempts: int, base_s: float, max_s: float) -> float:
    """Seconds before the next try: base · 2^(attempts-1), capped, with ±25% jitter so retries spread out."""
    delay = min(base_s * 2.0 ** (attempts - 1), max_s)
    return delay * random.uniform(0.75, 1.25)


def _finish(session: Session, job: Job, *, worker: str, status: JobStatus, error: str | None,
            run_after: datetime | None) -> bool:
    values: dict[str, Any] = {"status": status, "locked_by": None, "locked_until": None, "last_error": error}
    if status in (JobStatus.DONE, JobStatus.DEAD):
        values["finished_at"] = utcnow()
    if run_after is not None:
        values["run_after"] = run_after
    # Only the worker holding the lease may finish the job.
    result = session.execute(update(Job).where(col(Job.id) == job.id).where(col(Job.locked_by) == worker)
                             .where(col(Job.status) == JobStatus.RUNNING).values(**values))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def counts(session: Session) -> dict[str, dict[str, int]]:
    """Jobs by kind and status."""
    out: dict[str, dict[str, int]] = {}
    rows = session.exec(select(Job.kind, Job.status, func.count()).group_by(col(Job.kind), col(Job.status)))
    for kind, status, n in rows:
        out.setdefault(kind, {})[status] = n
    return out
