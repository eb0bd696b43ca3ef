"""Where the CSM's pulse and the objective risk signals disagree: a Green pulse beside open risk signals
(optimism may hide there), a Red pulse where every signal reads well (or pessimism).

`books` reads a team's accounts with their current pulses and signals once, for this and the honesty view.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from api.accounts.models import Account
from api.audit.models import SignalDisagreement
from api.pulse.models import Pulse
from api.pulse.service import pulses
from api.signals import service as signals
from api.signals.models import Signal


@dataclass(frozen=True)
class Books:
    """A team's accounts by id, the current pulse of those that have one, and their current signals."""

    accounts: dict[int, Account]
    pulses: dict[int, Pulse]
    signals: dict[int, list[Signal]]


def books(session: Session, team: str | None) -> Books:
    """The accounts of a team (all, for none) with their pulses and signals, in three queries."""
    query = select(Account)
    if team is not None:
        query = query.where(Account.team == team)
    accounts = {a.id: a for a in session.exec(query) if a.id is not None}
    return Books(accounts, pulses(session=session, account_ids=list(accounts)),
                 signals.current(session, list(accounts)))


def disagreements(found: Books) -> list[SignalDisagreement]:
    """Accounts whose current pulse disagrees with their current signals, Green-with-risk first."""
    rows = []
    for account_id, current in found.signals.items():
        pulse = found.pulses.get(account_id)
        at_risk = [s for s in current if s.at_risk]
        optimism = pulse is not None and pulse.label == "Green" and bool(at_risk)
        pessimism = pulse is not None and pulse.label == "Red" and not at_risk
        if pulse is None or not (optimism or pessimism):
            continue
        rows.append(SignalDisagreement(
            account_id=account_id, account=found.accounts[account_id].name, pulse=pulse.label,
            kind="green_with_risk" if pulse.label == "Green" else "red_without_risk",
            risk_signals=[f"{s.kind}={s.value:g} ({s.source})" for s in at_risk], signals=len(current)))
    return sorted(rows, key=lambda d: (d.kind != "green_with_risk", d.account, d.account_id))
