"""Delivering account events: an event recorded with one delivery job per subscribed endpoint, in the caller's
transaction, and the deliveries read back (the timeline, the worker). Jobs name the event they deliver, so this
sits above both api.events and the job queue's plain rows."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from api.accounts.models import Account
from api.events.models import Event, EventType, WebhookEndpoint
from api.events.service import display_url
from api.jobs import service as jobs
from api.jobs.models import Job, JobKind
from models.labels import Label


def emit_pulse_change(session: Session, *, account: Account, previous: str | None, current: str,
                      decision_id: int, suggestion_id: int, user_id: int, max_attempts: int) -> Event:
    """Record a pulse change and queue its deliveries, in the caller's transaction."""
    assert account.id is not None
    kind = EventType.PULSE_RED if current == Label.RED else EventType.PULSE_CHANGED
    event = Event(type=kind, account_id=account.id, payload={})
    session.add(event)
    session.flush()
    assert event.id is not None
    event.payload = {
        "id": event.id, "type": kind.value, "created_at": event.created_at.isoformat(),
        "account": {"id": account.id, "external_id": account.external_id, "name": account.name, "team": account.team},
        "pulse": {"from": previous, "to": current, "decision_id": decision_id, "suggestion_id": suggestion_id,
                  "decided_by": user_id},
    }
    session.add(event)
    _deliver_to_subscribers(session, event, max_attempts)
    return event


def emit_overdue(session: Session, *, account: Account, due: str, cadence: str, last_pulse: str | None,
                 max_attempts: int) -> Event:
    """Record that an account's pulse is overdue and queue its deliveries, in the caller's transaction."""
    assert account.id is not None
    event = Event(type=EventType.PULSE_OVERDUE, account_id=account.id, payload={})
    session.add(event)
    session.flush()
    assert event.id is not None
    event.payload = {
        "id": event.id, "type": EventType.PULSE_OVERDUE.value, "created_at": event.created_at.isoformat(),
        "account": {"id": account.id, "external_id": account.external_id, "name": account.name, "team": account.team},
        "overdue": {"due": due, "cadence": cadence, "last_pulse": last_pulse},
    }
    session.add(event)
    _deliver_to_subscribers(session, event, max_attempts)
    return event


def emit_challenger_ready(session: Session, *, challenger: dict[str, Any], promoted: bool,
                          max_attempts: int) -> Event:
    """Record that a challenger adapted from confirmed labels is ready (in shadow, or promoted) and queue its
    deliveries, in the caller's transaction. It concerns no one account."""
    return _emit_unattached(session, EventType.MODEL_CHALLENGER_READY,
                            {"challenger": challenger, "promoted": promoted}, max_attempts)


def emit_source_failing(session: Session, *, source: dict[str, Any], failing: dict[str, Any],
                        max_attempts: int) -> Event:
    """Record that a source (a mailbox) has failed to be read for an hour, once per run of failures, and queue
    its deliveries, in the caller's transaction. It concerns no one account."""
    return _emit_unattached(session, EventType.SOURCE_FAILING, {"source": source, "failing": failing}, max_attempts)


def _emit_unattached(session: Session, kind: EventType, fields: dict[str, Any], max_attempts: int) -> Event:
    """An event about no account: its id, type and time, then `fields`; its deliveries queued."""
    event = Event(type=kind, account_id=None, payload={})
    session.add(event)
    session.flush()
    assert event.id is not None
    event.payload = {"id": event.id, "type": kind.value, "created_at": event.created_at.isoformat(), **fields}
    session.add(event)
    _deliver_to_subscribers(session, event, max_attempts)
    return event


def _deliver_to_subscribers(session: Session, event: Event, max_attempts: int) -> None:
    for endpoint in session.exec(select(WebhookEndpoint).where(WebhookEndpoint.active == True)):  # noqa: E712
        if event.type in endpoint.event_types:
            jobs.enqueue(session, JobKind.WEBHOOK, {"event_id": event.id, "endpoint_id": endpoint.id},
                         account_id=event.account_id, event_id=event.id, max_attempts=max_attempts)



def deliveries(session: Session, event_ids: list[int], *, reveal: bool = False) -> dict[int, list[dict[str, Any]]]:
    """Each event's deliveries for the timeline: endpoint, status, attempts and when.

    Only with `reveal` (an admin reading) do they name the endpoint's URL (without credentials or query)
    and the last error: to anyone else a URL can carry secrets, and errors map internal hosts.
    """
    if not event_ids:
        return {}
    urls = {e.id: display_url(e.url) for e in session.exec(select(WebhookEndpoint))}
    out: dict[int, list[dict[str, Any]]] = {}
    for job in session.exec(select(Job).where(col(Job.event_id).in_(event_ids)).order_by(col(Job.id))):
        assert job.event_id is not None
        delivery: dict[str, Any] = {
            "job_id": job.id, "endpoint_id": job.payload.get("endpoint_id"), "status": job.status,
            "attempts": job.attempts, "next_attempt_at": job.run_after.isoformat() if job.status == "pending" else None,
            "finished_at": job.finished_at.isoformat() if job.finished_at else None}
        if reveal:
            delivery |= {"url": urls.get(job.payload.get("endpoint_id")), "last_error": job.last_error}
        out.setdefault(job.event_id, []).append(delivery)
    return out


def endpoint_of(session: Session, job: Job) -> tuple[Event, WebhookEndpoint]:
    """The event and endpoint a delivery job names."""
    event = session.get(Event, job.payload["event_id"])
    endpoint = session.get(WebhookEndpoint, job.payload["endpoint_id"])
    if event is None or endpoint is None:
        raise LookupError(f"job {job.id}: event {job.payload.get('event_id')} or endpoint "
                          f"{job.payload.get('endpoint_id')} no longer exists")
    return event, endpoint
