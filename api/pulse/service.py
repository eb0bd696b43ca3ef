"""The account's pulse: the latest human decision at account scope, its cadence and staleness, its history.

The pulse read (`pulses`, `last_pulses`), the account as the API shows it with its pulse, cadence, due
date and staleness (`public_many`, `get_all`), the change of pulse a decision makes (`record_change`,
which writes the event and its webhook jobs), and the timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from api.accounts.models import Account, AccountDomain
from api.checks import service as checks
from api.checks.models import CheckAnswer, CheckCopy
from api.config import Settings
from api.decisions import shown
from api.decisions.models import Decision
from api.decisions.service import standing
from api.events.models import Event
from api.interactions.models import Interaction
from api.jobs import deliveries
from api.outcomes import service as outcomes
from api.outcomes.models import OutcomePublic
from api.pulse.cadence import cadence, is_stale, pulse_due
from api.pulse.models import AccountPublic, Pulse, TimelineEvent
from api.signals import service as signals
from api.signals.models import SignalPublic
from api.suggestions.models import Scope, Suggestion
from api.users.models import User


def pulses(*, session: Session, account_ids: list[int]) -> dict[int, Pulse]:
    """Each account's pulse: the newest current decision on one of its account-scope suggestions."""
    if not account_ids:
        return {}
    newest_first = func.row_number().over(partition_by=col(Decision.account_id),
                                          order_by=(col(Decision.created_at).desc(), col(Decision.id).desc()))
    ranked = (standing(sa_select(col(Decision.id), col(Decision.label), col(Decision.created_at), col(Decision.user_id),
                                 col(Decision.suggestion_id), col(Decision.account_id), col(Decision.tags),
                                 newest_first.label("rank")))
              .where(col(Decision.scope) == Scope.ACCOUNT)
              .where(col(Decision.account_id).in_(account_ids))).subquery()
    # SQLAlchemy's select: SQLModel's would return only the first column of a one-argument select.
    rows = session.execute(sa_select(ranked).where(ranked.c.rank == 1)).all()
    return {row.account_id: Pulse(label=row.label, decided_at=row.created_at, decided_by=row.user_id,
                                  decision_id=row.id, suggestion_id=row.suggestion_id, tags=list(row.tags or []))
            for row in rows}


def latest_account_suggestions(*, session: Session, account_ids: list[int]) -> dict[int, Suggestion]:
    """Each account's newest account-scope suggestion."""
    if not account_ids:
        return {}
    newest_first = func.row_number().over(partition_by=col(Suggestion.account_id),
                                          order_by=(col(Suggestion.created_at).desc(), col(Suggestion.id).desc()))
    ranked = (select(Suggestion.id, newest_first.label("rank"))
              .where(col(Suggestion.scope) == Scope.ACCOUNT)
              .where(col(Suggestion.account_id).in_(account_ids))).subquery()
    rows = session.exec(select(Suggestion).join(ranked, col(Suggestion.id) == ranked.c.id)
                        .where(ranked.c.rank == 1)).all()
    return {s.account_id: s for s in rows}


def public_many(*, session: Session, accounts: list[Account], settings: Settings, today: date) -> list[AccountPublic]:
    """Accounts with pulse, cadence, due date, staleness and latest account suggestion."""
    ids = [a.id for a in accounts if a.id is not None]
    pulse_by_account = pulses(session=session, account_ids=ids)
    domains: dict[int, list[str]] = {}
    for row in session.exec(select(AccountDomain).where(col(AccountDomain.account_id).in_(ids))
                            .order_by(col(AccountDomain.domain))):
        domains.setdefault(row.account_id, []).append(row.domain)
    latest = latest_account_suggestions(session=session, account_ids=ids)
    signals_by_account = signals.current(session, ids)
    outcomes_by_account = outcomes.latest(session, ids)
    out = []
    for account in accounts:
        assert account.id is not None
        pulse = pulse_by_account.get(account.id)
        name = cadence(account.renewal_date, today, settings, account.segment)
        due = pulse_due(pulse.decided_at.date() if pulse else None, account.created_at.date(), name, settings)
        suggestion = latest.get(account.id)
        outcome = outcomes_by_account.get(account.id)
        gone = outcomes.churned(outcome)  # a churned account needs no pulse until a new renewal
        out.append(AccountPublic(
            **account.model_dump(), email_domains=domains.get(account.id, []), pulse=pulse, cadence=name, pulse_due=due,
            stale=not gone and is_stale(pulse.decided_at.date() if pulse else None, due, today),
            outcome=OutcomePublic.model_validate(outcome) if outcome else None, churned=gone,
            latest_suggestion=shown.public(suggestion) if suggestion else None,
            signals=[SignalPublic.model_validate(x) for x in signals_by_account.get(account.id, [])],
            risk_signals=sum(x.at_risk for x in signals_by_account.get(account.id, [])),
        ))
    return out


def get_all(*, session: Session, team: str | None, stale: bool | None, settings: Settings,
            today: date) -> list[AccountPublic]:
    """Accounts of a team (or all, for an admin), optionally only the stale or only the fresh ones."""
    query = select(Account).order_by(col(Account.name), col(Account.id))
    if team is not None:
        query = query.where(Account.team == team)
    listed = public_many(session=session, accounts=list(session.exec(query)), settings=settings, today=today)
    return [a for a in listed if stale is None or a.stale == stale]


def _event_detail(event: Event | None, sent: dict[int, list[dict[str, Any]]]) -> dict[str, Any]:
    """The event a pulse change emitted and how its webhook deliveries went."""
    if event is None or event.id is None:
        return {}
    return {"event_id": event.id, "event_type": event.type, "deliveries": sent.get(event.id, [])}


def timeline(*, session: Session, account: Account, reveal_endpoints: bool = False,
             own_messages_of: int | None = None) -> list[TimelineEvent]:
    """Interactions, suggestions, decisions and pulse changes of an account, oldest first.

    Webhook URLs and delivery errors are shown only with `reveal_endpoints` (an admin reading). With
    `own_messages_of` (a CSM reading), the suggestions on single messages are left out and so are other people's
    decisions on them: which messages colleagues decided, and what the model said of them, would tell a check
    item's copy from an ordinary item.
    """
    events = _interaction_events(session, account)
    account_suggestions = {s.id: s for s in session.exec(select(Suggestion).where(Suggestion.account_id == account.id)
                                                         .where(col(Suggestion.id).not_in(checks.copies())))}
    decisions = session.exec(select(Decision).where(col(Decision.suggestion_id).in_(list(account_suggestions)))
                             .order_by(col(Decision.created_at), col(Decision.id))).all()
    if own_messages_of is not None:
        decisions = [d for d in decisions if d.scope == Scope.ACCOUNT or d.user_id == own_messages_of]
        account_suggestions = {k: s for k, s in account_suggestions.items() if s.scope == Scope.ACCOUNT or
                               k in {d.suggestion_id for d in decisions}}
    decided = {d.suggestion_id for d in decisions}
    people = dict(session.execute(sa_select(col(User.id), col(User.name))
                                  .where(col(User.id).in_({d.user_id for d in decisions}))).all()) if decisions else {}
    events.extend(_suggestion_event(s, decided) for s in account_suggestions.values())
    recorded = {e.payload.get("pulse", {}).get("decision_id"): e
                for e in session.exec(select(Event).where(Event.account_id == account.id))}
    sent = deliveries.deliveries(session, [e.id for e in recorded.values() if e.id is not None],
                                     reveal=reveal_endpoints)
    previous_pulse: str | None = None
    taken_back = checks.withdrawn(session, [d.id for d in decisions])
    for decision in decisions:
        assert decision.id is not None
        suggestion = account_suggestions[decision.suggestion_id]
        verb = "accepted" if decision.accepted else "overrode"
        who = people.get(decision.user_id) or f"user {decision.user_id}"
        note = (f" — note: {decision.note}" if decision.note else "") + (
            " (withdrawn by its maker soon after)" if decision.id in taken_back else "")
        events.append(TimelineEvent(at=decision.created_at, type="decision", id=decision.id, label=decision.label,
                                    summary=f"{who} {verb} {suggestion.label} -> {decision.label}{note}",
                                    detail={"suggestion_id": decision.suggestion_id, "revision": decision.revision,
                                            "scope": suggestion.scope, "user_id": decision.user_id,
                                            "user_name": people.get(decision.user_id), "note": decision.note}))
        if suggestion.scope == Scope.ACCOUNT and decision.label != previous_pulse:
            events.append(TimelineEvent(at=decision.created_at, type="pulse_change", id=decision.id,
                                        label=decision.label,
                                        summary=f"pulse {previous_pulse or 'none'} -> {decision.label}",
                                        detail={"from": previous_pulse, "to": decision.label,
                                                **_event_detail(recorded.get(decision.id), sent)}))
            previous_pulse = decision.label
    if own_messages_of is not None:
        events.extend(_own_answers(session, account, own_messages_of, people_name=people.get))
    order = {"interaction": 0, "suggestion": 1, "decision": 2, "pulse_change": 3}
    events.sort(key=lambda e: (e.at, order[e.type], e.id))
    return events


def _interaction_events(session: Session, account: Account) -> list[TimelineEvent]:
    """Each of the account's messages as a timeline event."""
    events = []
    for interaction in session.exec(select(Interaction).where(Interaction.account_id == account.id)):
        assert interaction.id is not None
        events.append(TimelineEvent(at=interaction.occurred_at, type="interaction", id=interaction.id,
                                    summary=f"{interaction.kind} from {interaction.author or 'unknown'}: "
                                            f"{interaction.subject or interaction.body[:80]}",
                                    detail={"kind": interaction.kind, "external_id": interaction.external_id}))
    return events


def _suggestion_event(suggestion: Suggestion, decided: set[int]) -> TimelineEvent:
    """A suggestion as a timeline event; a blind one shows no colour until someone decides it."""
    assert suggestion.id is not None
    hidden = suggestion.blind and suggestion.id not in decided
    return TimelineEvent(at=suggestion.created_at, type="suggestion", id=suggestion.id,
                         label=None if hidden else suggestion.label,
                         summary=f"{suggestion.scope} suggestion, blind until decided, by "
                                 f"{suggestion.model_version}" if hidden else
                                 f"{suggestion.scope} suggestion {suggestion.label} "
                                 f"({suggestion.confidence:.0%}) by {suggestion.model_version}",
                         detail={"scope": suggestion.scope, "interaction_id": suggestion.interaction_id})


def _own_answers(session: Session, account: Account, user_id: int,
                 people_name: Callable[[int], str | None]) -> list[TimelineEvent]:
    """A CSM's answers on check items' copies of this account, as their own decisions show (a suggestion and
    its decisions), so the timeline cannot tell a copy they answered from an item they decided."""
    copies = {c.id: c for c in session.exec(select(Suggestion).where(Suggestion.account_id == account.id)
                                            .join(CheckCopy, col(CheckCopy.suggestion_id) == col(Suggestion.id))
                                            .where(col(CheckCopy.served_to) == user_id))}
    answers = session.exec(select(CheckAnswer).where(col(CheckAnswer.suggestion_id).in_(list(copies)))
                           .order_by(col(CheckAnswer.created_at), col(CheckAnswer.id))).all() if copies else []
    name = people_name(user_id) or session.exec(select(User.name).where(User.id == user_id)).first()
    events: list[TimelineEvent] = []
    for copy_id in dict.fromkeys(a.suggestion_id for a in answers):
        copy = copies[copy_id]
        assert copy.id is not None
        check = checks.check_of(session, copy)
        events.append(TimelineEvent(at=copy.created_at, type="suggestion", id=copy.id, label=copy.label,
                                    summary=f"{copy.scope} suggestion {copy.label} ({copy.confidence:.0%}) by "
                                            f"{copy.model_version}",
                                    detail={"scope": copy.scope, "interaction_id": check.interaction_id}))
    for row in answers:
        copy = copies[row.suggestion_id]
        verb = "accepted" if row.label == copy.label else "overrode"
        note = f" — note: {row.note}" if row.note else ""
        events.append(TimelineEvent(at=row.created_at, type="decision", id=row.id or 0, label=row.label,
                                    summary=f"{name or f'user {user_id}'} {verb} {copy.label} -> {row.label}{note}",
                                    detail={"suggestion_id": row.suggestion_id, "revision": row.revision,
                                            "scope": copy.scope, "user_id": user_id, "user_name": name,
                                            "note": row.note}))
    return events


def last_pulses() -> Any:
    """A subquery of each account's latest pulse: (account_id, last_pulse), from current decisions."""
    return (standing(select(Decision.account_id, func.max(col(Decision.created_at)).label("last_pulse")))
            .where(col(Decision.scope) == Scope.ACCOUNT)
            .group_by(col(Decision.account_id)).subquery("last_pulse"))


def record_change(session: Session, account: Account, before: dict[int, Pulse], decision: Decision,
                  settings: Settings) -> None:
    """When this decision changed the account's pulse, write the event (and its webhook jobs) with it."""
    assert account.id is not None and decision.id is not None
    after = pulses(session=session, account_ids=[account.id]).get(account.id)
    previous = before.get(account.id)
    if after is None or (previous is not None and previous.label == after.label):
        return
    deliveries.emit_pulse_change(session, account=account, previous=previous.label if previous else None,
                             current=after.label, decision_id=after.decision_id, suggestion_id=after.suggestion_id,
                             user_id=decision.user_id, max_attempts=settings.webhook_max_attempts)
