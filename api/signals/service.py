"""Signals: recorded against an account the caller may see; each account's current signals, latest per kind."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from api.accounts import service as accounts
from api.signals.models import Signal, SignalCreate, reads_as_risk
from api.users.models import User


def build(account_id: int, data: SignalCreate, user: User) -> Signal:
    """A signal row (not yet added), its risk read from the value where the caller did not say."""
    at_risk = data.at_risk if data.at_risk is not None else reads_as_risk(data.kind, data.value)
    return Signal(account_id=account_id, kind=data.kind, value=data.value, source=data.source, at_risk=at_risk,
                  observed_at=data.observed_at, created_by=user.id or 0)


def create(*, session: Session, user: User, account_id: int, data: SignalCreate) -> Signal:
    """Record one signal for an account."""
    accounts.get_or_raise(session=session, user=user, account_id=account_id)
    signal = build(account_id, data, user)
    session.add(signal)
    session.flush()
    session.refresh(signal)
    return signal


def current(session: Session, account_ids: Sequence[int]) -> dict[int, list[Signal]]:
    """Each account's latest signal of each kind (the newest observation wins), by account."""
    if not account_ids:
        return {}
    rows = session.exec(select(Signal).where(col(Signal.account_id).in_(set(account_ids)))
                        .order_by(col(Signal.observed_at), col(Signal.id))).all()
    latest: dict[tuple[int, str], Signal] = {}
    for row in rows:
        latest[(row.account_id, row.kind)] = row
    found: dict[int, list[Signal]] = {}
    for (account_id, _), signal in sorted(latest.items()):
        found.setdefault(account_id, []).append(signal)
    return found


def history(*, session: Session, user: User, account_id: int, limit: int = 500) -> list[Signal]:
    """An account's signals, newest first."""
    accounts.get_or_raise(session=session, user=user, account_id=account_id)
    return list(session.exec(select(Signal).where(Signal.account_id == account_id)
                             .order_by(col(Signal.observed_at).desc(), col(Signal.id).desc()).limit(limit)))
