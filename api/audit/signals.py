"""Where the CSM's pulse and the objective risk signals disagree: a Green pulse beside open risk signals
(optimism may hide there), a Red pulse where every signal reads well (or pessimism)."""

from __future__ import annotations

from sqlmodel import Session, select

from api.accounts.models import Account
from api.audit.models import SignalDisagreement
from api.pulse.service import pulses
from api.signals import service as signals


def disagreements(session: Session, team: str | None) -> list[SignalDisagreement]:
    """Accounts whose current pulse disagrees with their current signals, Green-with-risk first."""
    query = select(Account)
    if team is not None:
        query = query.where(Account.team == team)
    accounts = {a.id: a for a in session.exec(query) if a.id is not None}
    current = signals.current(session, list(accounts))
    with_signals = [account_id for account_id in accounts if current.get(account_id)]
    pulse_by_account = pulses(session=session, account_ids=with_signals)
    found = []
    for account_id in with_signals:
        pulse = pulse_by_account.get(account_id)
        at_risk = [s for s in current[account_id] if s.at_risk]
        optimism = pulse is not None and pulse.label == "Green" and bool(at_risk)
        pessimism = pulse is not None and pulse.label == "Red" and not at_risk
        if pulse is None or not (optimism or pessimism):
            continue
        found.append(SignalDisagreement(
            account_id=account_id, account=accounts[account_id].name, pulse=pulse.label,
            kind="green_with_risk" if pulse.label == "Green" else "red_without_risk",
            risk_signals=[f"{s.kind}={s.value:g} ({s.source})" for s in at_risk],
            signals=len(current[account_id])))
    return sorted(found, key=lambda d: (d.kind != "green_with_risk", d.account, d.account_id))
