"""Suggestions: stored predictions, the review queue, and account-scope roll-ups."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, and_, case, exists, func, literal, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from api.accounts.models import Account
from api.config import Settings
from api.db import utcnow
from api.decisions.models import Decision, DecisionHead, decision_public
from api.errors import NotFoundError, UnprocessableError
from api.interactions.models import Interaction
from api.policies import can_see
from api.suggestions.models import Scope, Suggestion, SuggestionPublic
from api.users.models import User
from models.classifier import Classifier, Prediction, to_prediction
from models.labels import LABELS, Label


def from_prediction(prediction: Prediction, *, account_id: int, scope: Scope, blind_share: float,
                    interaction_id: int | None = None, explanation: list[dict[str, Any]] | None = None) -> Suggestion:
    """A suggestion row for a prediction (not yet added to a session).

    A random `blind_share` of suggestions are blind: served without the model's answer until decided.
    """
    p = prediction.probabilities
    return Suggestion(
        blind=secrets.randbelow(1_000_000) < blind_share * 1_000_000,
        scope=scope, account_id=account_id, interaction_id=interaction_id, label=prediction.label,
        p_red=round(p[Label.RED], 6), p_yellow=round(p[Label.YELLOW], 6), p_green=round(p[Label.GREEN], 6),
        confidence=round(prediction.confidence, 6), margin=round(prediction.margin, 6),
        model_version=prediction.model_version,
        explanation=explanation if explanation is not None else [asdict(e) for e in prediction.explanation],
    )


def get_or_raise(*, session: Session, user: User, suggestion_id: int) -> Suggestion:
    """A suggestion the user may see; another team's answers exactly like a missing one."""
    row = session.exec(select(Suggestion, Account.team).join(Account, col(Account.id) == Suggestion.account_id)
                       .where(Suggestion.id == suggestion_id).where(col(Suggestion.shadow).is_(False))).first()
    if row is None or not can_see(user, row[1]):
        raise NotFoundError(f"suggestion {suggestion_id} not found")
    return row[0]


def current_decision(*, session: Session, suggestion_id: int) -> Decision | None:
    """The decision that stands for a suggestion: the one its head points at."""
    return session.exec(select(Decision).join(DecisionHead, col(DecisionHead.decision_id) == col(Decision.id))
                        .where(DecisionHead.suggestion_id == suggestion_id)).first()


def public(suggestion: Suggestion, *, text: str | None = None, decision: Decision | None = None,
           priority: float | None = None, why: str | None = None) -> SuggestionPublic:
    """A suggestion as the API shows it; a blind one shows no label, probabilities or evidence until decided."""
    assert suggestion.id is not None
    hidden = suggestion.blind and decision is None
    return SuggestionPublic(
        id=suggestion.id, scope=suggestion.scope, account_id=suggestion.account_id,
        interaction_id=suggestion.interaction_id, label=None if hidden else suggestion.label,
        probabilities=None if hidden else suggestion.probabilities,
        confidence=None if hidden else suggestion.confidence,
        model_version=suggestion.model_version, explanation=[] if hidden else suggestion.explanation,
        created_at=suggestion.created_at, text=text, status="decided" if decision else "pending",
        blind=suggestion.blind, decision=decision_public(decision, superseded=False) if decision else None,
        priority=None if priority is None else round(priority, 4), superseded_by=suggestion.superseded_by_id,
        why=None if hidden else why,
    )


def last_pulses() -> Any:
    """A subquery of each account's latest pulse: (account_id, last_pulse), from current decisions."""
    return (select(Decision.account_id, func.max(col(Decision.created_at)).label("last_pulse"))
            .join(DecisionHead, col(DecisionHead.decision_id) == col(Decision.id))
            .where(col(Decision.scope) == Scope.ACCOUNT)
            .group_by(col(Decision.account_id)).subquery("last_pulse"))


def priority_parts(today: date, settings: Settings, last: Any) -> dict[str, ColumnElement[float]]:
    """The weights of the queue rank, each a SQL expression: renewal, arr and stale (see priority_expression)."""
    renewal_date = col(Account.renewal_date)
    weekly = and_(renewal_date.is_not(None),
                  renewal_date <= today + timedelta(days=settings.cadence_weekly_within_days))
    monthly = and_(renewal_date.is_not(None),
                   renewal_date <= today + timedelta(days=settings.cadence_monthly_within_days))

    def older_than(cadence: str) -> ColumnElement[float]:
        cut = datetime.combine(today - timedelta(days=settings.cadence_days[cadence]), time(), UTC)
        return case((last.c.last_pulse < cut, 0.5), else_=0.0)

    return {
        "renewal": case((weekly, 1.0), (monthly, 0.5), else_=0.0),
        "arr": case((col(Account.arr).is_(None), 0.0), (col(Account.arr) >= 200_000, 0.5),
                    else_=col(Account.arr) / 400_000.0),
        "stale": case((last.c.last_pulse.is_(None), 0.5), (weekly, older_than("weekly")),
                      (monthly, older_than("monthly")), else_=older_than("quarterly")),
    }


def why(margin: float, parts: dict[str, float]) -> str:
    """The queue rank in words: how uncertain the model is, and what about the account weighs it up."""
    reasons = [f"uncertainty {1 - margin:.2f} (margin {margin:.2f} between the two likeliest colours)"]
    if parts["renewal"]:
        reasons.append(f"renewal soon (+{parts['renewal']:g})")
    if parts["arr"]:
        reasons.append(f"ARR (+{parts['arr']:.2f})")
    if parts["stale"]:
        reasons.append(f"pulse overdue or missing (+{parts['stale']:g})")
    return reasons[0] + (" × (1 + " + " + ".join(reasons[1:]) + ")" if len(reasons) > 1 else "")


def priority_expression(parts: dict[str, ColumnElement[float]]) -> ColumnElement[float]:
    """Queue rank from `priority_parts`: uncertainty (1 - margin) weighted up for near renewals, ARR and stale accounts.

    Stale means what GET /v1/accounts says: no pulse yet, or the last one older than the account's
    cadence (weekly, monthly or quarterly by renewal distance). Computed in SQL, with the day bounds
    bound as parameters, so the database orders the whole queue and pages through it.
    """
    return (literal(1.0) - col(Suggestion.margin)) * (literal(1.0) + parts["renewal"] + parts["arr"] + parts["stale"])


def encode_cursor(offset: int) -> str:
    """An opaque page cursor."""
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    """The offset inside a cursor this API gave out."""
    if not cursor:
        return 0
    try:
        kind, value = base64.urlsafe_b64decode(cursor.encode()).decode().split(":", 1)
        offset = int(value)
        if kind != "o" or offset < 0:
            raise ValueError
    except (ValueError, UnicodeDecodeError):
        raise UnprocessableError(f"cursor {cursor!r} is not a cursor this API gave out", field="cursor") from None
    return offset


def count(session: Session, query: Any) -> int:
    """Rows a query would return, counted by the database."""
    return int(session.exec(select(func.count()).select_from(query.order_by(None).subquery())).one())


def queue(*, session: Session, team: str | None, status: str, scope: Scope | None, account_id: int | None,
          limit: int, cursor: str | None, today: date,
          settings: Settings) -> tuple[list[SuggestionPublic], int, str | None]:
    """The review queue: pending suggestions most in need of a human first, or decided ones newest first."""
    offset = decode_cursor(cursor)
    decided = exists().where(col(Decision.suggestion_id) == col(Suggestion.id))
    last = last_pulses()
    parts = priority_parts(today, settings, last)
    priority = priority_expression(parts).label("priority")
    query = (sa_select(Suggestion, col(Interaction.body), priority, parts["renewal"].label("renewal"),
                       parts["arr"].label("arr"), parts["stale"].label("stale"))
             .join(Account, col(Account.id) == col(Suggestion.account_id))
             .outerjoin(last, last.c.account_id == col(Suggestion.account_id))
             .outerjoin(Interaction, col(Interaction.id) == col(Suggestion.interaction_id))
             .where(col(Suggestion.shadow).is_(False))
             .where(decided if status == "decided" else
                    and_(~decided, col(Suggestion.superseded_by_id).is_(None))))
    if team is not None:
        query = query.where(col(Account.team) == team)
    if scope is not None:
        query = query.where(col(Suggestion.scope) == scope)
    if account_id is not None:
        query = query.where(col(Suggestion.account_id) == account_id)
    if status == "decided":
        query = query.order_by(col(Suggestion.created_at).desc(), col(Suggestion.id).desc())
    else:
        query = query.order_by(priority.desc(), col(Suggestion.created_at).asc(), col(Suggestion.id).asc())
    rows = session.execute(query.offset(offset).limit(limit)).all()
    total = count(session, query)
    decisions = _current_for(session, [s.id for s, *_ in rows if s.id is not None]) if status == "decided" else {}
    data = [public(s, text=body, decision=decisions.get(s.id or 0), priority=p,
                   why=None if status == "decided" else why(s.margin, {"renewal": r, "arr": a, "stale": st}))
            for s, body, p, r, a, st in rows]
    next_cursor = encode_cursor(offset + limit) if offset + limit < total else None
    return data, total, next_cursor


def _current_for(session: Session, suggestion_ids: Sequence[int]) -> dict[int, Decision]:
    if not suggestion_ids:
        return {}
    rows = session.exec(select(Decision).join(DecisionHead, col(DecisionHead.decision_id) == col(Decision.id))
                        .where(col(DecisionHead.suggestion_id).in_(suggestion_ids))).all()
    return {d.suggestion_id: d for d in rows}


def roll_up(*, session: Session, account: Account, classifier: Classifier, settings: Settings,
            now: datetime | None = None) -> Suggestion:
    """An account-scope suggestion: recency-weighted mean of its recent interactions' probabilities.

    Each interaction in the window weighs 0.5 ** (age / half-life). Its probabilities are the ones
    the classifier's version already stored for it; only interactions it has not scored are scored
    now. The explanation names the interactions that contributed most to the chosen colour. The
    new suggestion replaces the account's older pending roll-ups, so the queue holds one per account.
    """
    now = now or utcnow()
    since = now - timedelta(days=settings.rollup_window_days)
    stored = and_(col(Suggestion.interaction_id) == col(Interaction.id),
                  col(Suggestion.model_version) == classifier.version)
    rows = session.exec(select(Interaction, Suggestion).outerjoin(Suggestion, stored)
                        .where(Interaction.account_id == account.id)
                        .where(col(Interaction.occurred_at) >= since)
                        .order_by(col(Interaction.occurred_at).desc(), col(Interaction.id).desc())).all()
    if not rows:
        raise UnprocessableError(
            f"account {account.id} has no interactions in the last {settings.rollup_window_days} days to roll up")
    interactions = [interaction for interaction, _ in rows]
    probs = np.array([[s.p_red, s.p_yellow, s.p_green] if s else [np.nan] * 3 for _, s in rows])
    unscored = [i for i, (_, s) in enumerate(rows) if s is None]
    if unscored:
        probs[unscored] = classifier.predict_proba([interactions[i].body for i in unscored])
    ages = np.array([max((now - i.occurred_at).total_seconds() / 86400.0, 0.0) for i in interactions])
    weights = 0.5 ** (ages / settings.rollup_half_life_days)
    combined = (weights[:, None] * probs).sum(axis=0) / weights.sum()
    prediction = to_prediction(classifier.version, combined)
    column = LABELS.index(prediction.label)
    contribution = weights * probs[:, column] / weights.sum()
    order = np.argsort(-contribution)[:5]
    explanation = [
        {"interaction_id": interactions[i].id, "weight": round(float(contribution[i]), 4),
         "label": LABELS[int(np.argmax(probs[i]))].value, "occurred_at": interactions[i].occurred_at.isoformat(),
         "text": interactions[i].body[:280]}
        for i in order
    ]
    assert account.id is not None
    suggestion = from_prediction(prediction, account_id=account.id, scope=Scope.ACCOUNT, explanation=explanation,
                                 blind_share=settings.blind_share)
    session.add(suggestion)
    session.flush()
    supersede(session, suggestion, (col(Suggestion.account_id) == account.id,
                                    col(Suggestion.scope) == Scope.ACCOUNT))
    session.commit()
    session.refresh(suggestion)
    return suggestion


def supersede(session: Session, newer: Suggestion, same: tuple[ColumnElement[bool], ...]) -> int:
    """Mark the pending suggestions matching `same` (other than `newer`) as replaced by it; returns how many.

    Decided suggestions stay as they are: they are the audit record.
    """
    decided = exists().where(col(DecisionHead.suggestion_id) == col(Suggestion.id))
    result = session.execute(update(Suggestion).where(*same).where(col(Suggestion.id) != newer.id)
                             .where(col(Suggestion.superseded_by_id).is_(None)).where(~decided)
                             .values(superseded_by_id=newer.id))
    return int(result.rowcount)  # type: ignore[attr-defined]
