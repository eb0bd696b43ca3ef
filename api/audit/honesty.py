"""Honesty at team level: each CSM's current pulses beside their peers' and beside the model's reading of the
same accounts (and the risk signals there). A book that is all Green while the model and the signals say
otherwise is worth a conversation; the figures only show where, they judge no one."""

from __future__ import annotations

from collections import Counter, defaultdict

from sqlmodel import Session, col, select

from api.audit.models import Honesty
from api.audit.signals import Books
from api.pulse.service import latest_account_suggestions
from api.users.models import User
from models.labels import Label

COLOURS = ("Red", "Yellow", "Green")


def shares(counts: Counter[str]) -> dict[str, float]:
    """Each colour's share of a count (0 for all when empty)."""
    total = sum(counts.values())
    return {c: round(counts[c] / total, 4) if total else 0.0 for c in COLOURS}


def honesty(session: Session, found: Books) -> list[Honesty]:
    """Per person who set current pulses: their colours, their peers', the model's on the same accounts."""
    current = found.pulses
    if not current:
        return []
    model = latest_account_suggestions(session=session, account_ids=list(current))
    risk = {a: sum(s.at_risk for s in listed) for a, listed in found.signals.items()}
    books: dict[int, list[int]] = defaultdict(list)
    for account_id, pulse in current.items():
        books[pulse.decided_by].append(account_id)
    names = dict(session.exec(select(User.id, User.name).where(col(User.id).in_(list(books)))).all())
    rows = []
    for person, accounts in books.items():
        own = Counter(current[a].label for a in accounts)
        peers = Counter(p.label for a, p in current.items() if p.decided_by != person)
        modelled = Counter(str(model[a].label) for a in accounts if a in model)
        greener = sum(1 for a in accounts if a in model and Label(current[a].label).rank > Label(model[a].label).rank)
        rows.append(Honesty(
            user_id=person, name=names.get(person, f"user {person}"), accounts=len(accounts), pulses=shares(own),
            peers=shares(peers), model=shares(modelled), model_accounts=sum(modelled.values()),
            greener_than_model=greener, green_with_risk=sum(1 for a in accounts
                                                            if current[a].label == "Green" and risk.get(a, 0))))
    return sorted(rows, key=lambda r: (-r.pulses["Green"] + r.model["Green"], r.name))

