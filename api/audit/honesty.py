"""Honesty at team level: each CSM's current pulses beside their peers' and beside the model's reading of the
same accounts (and the risk signals there). A book that is all Green while the model and the signals say
otherwise is worth a conversation; the figures only show where, they judge no one."""

from __future__ import annotations

from collections import Counter, defaultdict

from sqlmodel import Session, col, select

from api.accounts.models import Account
from api.audit.models import Honesty
from api.pulse.service import latest_account_suggestions, pulses
from api.signals import service as signals
from api.users.models import User

COLOURS = ("Red", "Yellow", "Green")


def shares(counts: Counter[str]) -> dict[str, float]:
    """Each colour's share of a count (0 for all when empty)."""
    total = sum(counts.values())
    return {c: round(counts[c] / total, 4) if total else 0.0 for c in COLOURS}


def honesty(session: Session, team: str | None) -> list[Honesty]:
    """Per person who set current pulses: their colours, their peers', the model's on the same accounts."""
    query = select(Account.id)
    if team is not None:
        query = query.where(Account.team == team)
    account_ids = [i for i in session.exec(query) if i is not None]
    current = pulses(session=session, account_ids=account_ids)
    if not current:
        return []
    model = latest_account_suggestions(session=session, account_ids=list(current))
    risk = {a: sum(s.at_risk for s in found) for a, found in signals.current(session, list(current)).items()}
    books: dict[int, list[int]] = defaultdict(list)
    for account_id, pulse in current.items():
        books[pulse.decided_by].append(account_id)
    names = dict(session.exec(select(User.id, User.name).where(col(User.id).in_(list(books)))).all())
    rows = []
    for person, accounts in books.items():
        own = Counter(current[a].label for a in accounts)
        peers = Counter(p.label for a, p in current.items() if p.decided_by != person)
        modelled = Counter(str(model[a].label) for a in accounts if a in model)
        greener = sum(1 for a in accounts if a in model and _rank(current[a].label) > _rank(str(model[a].label)))
        rows.append(Honesty(
            user_id=person, name=names.get(person, f"user {person}"), accounts=len(accounts), pulses=shares(own),
            peers=shares(peers), model=shares(modelled), model_accounts=sum(modelled.values()),
            greener_than_model=greener, green_with_risk=sum(1 for a in accounts
                                                            if current[a].label == "Green" and risk.get(a, 0))))
    return sorted(rows, key=lambda r: (-r.pulses["Green"] + r.model["Green"], r.name))


def _rank(label: str) -> int:
    return COLOURS.index(label) if label in COLOURS else 1
