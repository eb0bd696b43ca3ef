"""Outcomes: recorded against an account the caller may see."""

from __future__ import annotations

from sqlmodel import Session, col, select

from api.accounts import service as accounts
from api.outcomes.models import Outcome, OutcomeCreate
from api.users.models import User


def create(*, session: Session, user: User, account_id: int, data: OutcomeCreate) -> Outcome:
    """Record what happened to an account."""
    accounts.get_or_raise(session=session, user=user, account_id=account_id)
    outcome = Outcome(account_id=account_id, kind=data.kind, occurred_on=data.occurred_on, note=data.note,
                      created_by=user.id or 0)
    session.add(outcome)
    session.flush()
    session.refresh(outcome)
    return outcome


def get_all(*, session: Session, user: User, account_id: int) -> list[Outcome]:
    """An account's outcomes, oldest first."""
    accounts.get_or_raise(session=session, user=user, account_id=account_id)
    return list(session.exec(select(Outcome).where(Outcome.account_id == account_id)
                             .order_by(col(Outcome.occurred_on), col(Outcome.id))))
