"""Missed cadences: an event when an account's pulse passes its due date, once per due date.

A worker sweeps every PULSE_OVERDUE_SWEEP_S seconds (0 turns it off): each account that is stale by the
same rule as the account list (cadence by renewal and segment, PULSE_CADENCE) and has no overdue event
for its current due date gets one, delivered like any event (signed JSON, Slack or Teams). Two workers
sweeping at the same moment may both record one; deliveries are at least once, as for every event.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from api.accounts.models import Account
from api.config import Settings
from api.events import service as events
from api.jobs import deliveries
from api.pulse.service import public_many


def sweep(session: Session, settings: Settings, today: date) -> int:
    """Record an overdue event for each newly overdue account; returns how many were recorded."""
    accounts = list(session.exec(select(Account)))
    shown = public_many(session=session, accounts=accounts, settings=settings, today=today)
    recorded = 0
    for account, public in zip(accounts, shown, strict=True):
        if not public.stale or account.id is None:
            continue
        due = public.pulse_due.isoformat()
        if events.overdue_already(session, account.id, due):
            continue
        deliveries.emit_overdue(session, account=account, due=due, cadence=public.cadence,
                            last_pulse=public.pulse.label if public.pulse else None,
                            max_attempts=settings.webhook_max_attempts)
        recorded += 1
    session.commit()
    return recorded
