"""Outcomes: recorded against an account the caller may see."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from api.accounts import service as accounts
from api.accounts.models import Account
from api.db import utcnow
from api.outcomes.models import Outcome, OutcomeCreate, OutcomeKind
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


def happened(outcome: Any = Outcome) -> ColumnElement[bool]:
    """An outcome (the table, or an alias of it) dated today or earlier (UTC). A churn recorded ahead, for the day
    a contract ends, takes the account out of the queue only on that day: until then it is still a customer, and a
    later renewal recorded today is not outranked by a date typed far ahead."""
    return col(outcome.occurred_on) <= utcnow().date()


def latest(session: Session, account_ids: Sequence[int]) -> dict[int, Outcome]:
    """Each account's latest outcome that has happened (the latest date; the later record on the same day)."""
    if not account_ids:
        return {}
    newest_first = func.row_number().over(partition_by=col(Outcome.account_id),
                                          order_by=(col(Outcome.occurred_on).desc(), col(Outcome.id).desc()))
    ranked = (select(Outcome.id, newest_first.label("rank"))
              .where(col(Outcome.account_id).in_(list(account_ids)), happened())).subquery()
    rows = session.exec(select(Outcome).join(ranked, col(Outcome.id) == ranked.c.id).where(ranked.c.rank == 1))
    return {row.account_id: row for row in rows}


def churned(outcome: Outcome | None) -> bool:
    """Whether an account has churned: its latest outcome is a churn. A later outcome (a new renewal, or a
    downsell that kept it) reopens the account; the renewal date on file is the old contract's, so it does not."""
    return outcome is not None and outcome.kind == OutcomeKind.CHURNED


def churned_sql() -> ColumnElement[bool]:
    """SQL on the account in hand: the same rule as `churned`, so the queue and the account list agree."""
    later = aliased(Outcome)
    newer = exists().where(col(later.account_id) == col(Outcome.account_id), happened(later),
                           or_(col(later.occurred_on) > col(Outcome.occurred_on),
                               and_(col(later.occurred_on) == col(Outcome.occurred_on),
                                    col(later.id) > col(Outcome.id))))
    return exists().where(col(Outcome.account_id) == col(Account.id), col(Outcome.kind) == OutcomeKind.CHURNED,
                          happened(), ~newer)
