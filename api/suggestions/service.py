"""Suggestions: stored predictions, the review queue, and account-scope roll-ups."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, and_, case, exists, func, literal
from sqlmodel import Session, col, select

from api.accounts.models import Account
from api.config import Settings
from api.db import utcnow
from api.decisions.models import Decision, DecisionPublic
from api.errors import NotFoundError, UnprocessableError
from api.interactions.models import Interaction
from api.policies import can_see
from api.suggestions.models import Scope, Suggestion, SuggestionPublic
from api.users.models import User
from models.classifier import Classifier, Prediction, to_prediction
from models.labels import LABELS, Label, shift


def from_prediction(prediction: Prediction, *, account_id: int, scope: Scope,
                    interaction_id: int | None = None, explanation: list[dict[str, Any]] | None = None) -> Suggestion:
    """A suggestion row for a prediction (not yet added to a session)."""
    p = prediction.probabilities
    return Suggestion(
        scope=scope, account_id=account_id, interaction_id=interaction_id, label=prediction.label,
        p_red=round(p[Label.RED], 6), p_yellow=round(p[Label.YELLOW], 6), p_green=round(p[Label.GREEN], 6),
        confidence=round(prediction.confidence, 6), margin=round(prediction.margin, 6),
        model_version=prediction.model_version,
        explanation=explanation if explanation is not None else [asdict(e) for e in prediction.explanation],
    )


def get_or_raise(*, session: Session, user: User, suggestion_id: int) -> Suggestion:
    """A suggestion the user may see; another team's answers exactly like a missing one."""
    row = session.exec(select(Suggestion, Account.team).join(Account, col(Account.id) == Suggestion.account_id)
                       .where(Suggestion.id == suggestion_id)).first()
    if row is None or not can_see(user, row[1]):
        raise NotFoundError(f"suggestion {suggestion_id} not found")
    return row[0]


def current_decisions() -> Any:
    """A subquery of each decided suggestion's latest revision: (suggestion_id, revision)."""
    return (select(Decision.suggestion_id, func.max(Decision.revision).label("revision"))
            .group_by(col(Decision.suggestion_id)).subquery("current_revision"))


def current_decision(*, session: Session, suggestion_id: int) -> Decision | None:
    """The decision that stands for a suggestion: its highest revision."""
    return session.exec(select(Decision).where(Decision.suggestion_id == suggestion_id)
                        .order_by(col(Decision.revision).desc()).limit(1)).first()


def decision_public(decision: Decision, suggestion: Suggestion, superseded: bool) -> DecisionPublic:
    """A decision with the suggestion fields it is judged against."""
    steps = shift(Label(suggestion.label), Label(decision.label))
    assert decision.id is not None and suggestion.id is not None
    return DecisionPublic(
        id=decision.id, suggestion_id=suggestion.id, user_id=decision.user_id, label=decision.label,
        accepted=decision.accepted, direction="same" if steps == 0 else "rosier" if steps > 0 else "harsher",
        shift=steps, sentiment_reason=decision.sentiment_reason, override_reason=decision.override_reason,
        note=decision.note, blind=decision.blind, viewed_ms=decision.viewed_ms, revision=decision.revision,
        supersedes_id=decision.supersedes_id, superseded=superseded, created_at=decision.created_at,
        suggested_label=suggestion.label, confidence=suggestion.confidence,
        model_version=suggestion.model_version, scope=suggestion.scope, account_id=suggestion.account_id,
        interaction_id=suggestion.interaction_id,
    )


def public(suggestion: Suggestion, *, text: str | None = None, decision: Decision | None = None,
           priority: float | None = None) -> SuggestionPublic:
    """A suggestion as the API shows it."""
    assert suggestion.id is not None
    return SuggestionPublic(
        id=suggestion.id, scope=suggestion.scope, account_id=suggestion.account_id,
        interaction_id=suggestion.interaction_id, label=suggestion.label,
        probabilities=suggestion.probabilities, confidence=suggestion.confidence,
        model_version=suggestion.model_version, explanation=suggestion.explanation,
        created_at=suggestion.created_at, text=text, status="decided" if decision else "pending",
        decision=decision_public(decision, suggestion, superseded=False) if decision else None,
        priority=None if priority is None else round(priority, 4),
    )


def priority_expression(today: date) -> ColumnElement[float]:
    """Queue rank: uncertainty (1 - margin) weighted up for renewals within 60/120 days and for ARR.

    Computed in SQL so that the database orders the whole queue and pages through it.
    """
    renewal = case(
        (and_(col(Account.renewal_date).is_not(None), col(Account.renewal_date) <= today + timedelta(days=60)), 1.0),
        (and_(col(Account.renewal_date).is_not(None), col(Account.renewal_date) <= today + timedelta(days=120)), 0.5),
        else_=0.0,
    )
    arr = case((col(Account.arr).is_(None), 0.0), (col(Account.arr) >= 200_000, 0.5),
               else_=col(Account.arr) / 400_000.0)
    return (literal(1.0) - col(Suggestion.margin)) * (literal(1.0) + renewal + arr)


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


def filters(*, team: str | None = None, user_id: int | None = None, account_id: int | None = None,
            model_version: str | None = None, since: datetime | None = None,
            until: datetime | None = None, label: Label | None = None,
            suggested_label: Label | None = None, scope: str | None = None) -> list[Any]:
    """SQL conditions shared by the queue, the decision listing and the audit, so their counts agree.

    They name columns of Account, Suggestion and Decision; a query applies only those it joins.
    """
    conditions: list[Any] = []
    if team is not None:
        conditions.append(col(Account.team) == team)
    if user_id is not None:
        conditions.append(col(Decision.user_id) == user_id)
    if account_id is not None:
        conditions.append(col(Suggestion.account_id) == account_id)
    if model_version is not None:
        conditions.append(col(Suggestion.model_version) == model_version)
    if since is not None:
        conditions.append(col(Decision.created_at) >= since)
    if until is not None:
        conditions.append(col(Decision.created_at) < until)
    if label is not None:
        conditions.append(col(Decision.label) == label)
    if suggested_label is not None:
        conditions.append(col(Suggestion.label) == suggested_label)
    if scope is not None:
        conditions.append(col(Suggestion.scope) == scope)
    return conditions


def count(session: Session, query: Any) -> int:
    """Rows a query would return, counted by the database."""
    return int(session.exec(select(func.count()).select_from(query.order_by(None).subquery())).one())


def queue(*, session: Session, team: str | None, status: str, scope: Scope | None, account_id: int | None,
          limit: int, cursor: str | None, today: date) -> tuple[list[SuggestionPublic], int, str | None]:
    """The review queue: pending suggestions most in need of a human first, or decided ones newest first."""
    offset = decode_cursor(cursor)
    decided = exists().where(col(Decision.suggestion_id) == col(Suggestion.id))
    priority = priority_expression(today).label("priority")
    query = (select(Suggestion, Interaction.body, priority)
             .join(Account, col(Account.id) == col(Suggestion.account_id))
             .outerjoin(Interaction, col(Interaction.id) == col(Suggestion.interaction_id))
             .where(decided if status == "decided" else ~decided)
             .where(*filters(team=team, scope=scope, account_id=account_id)))
    if status == "decided":
        query = query.order_by(col(Suggestion.created_at).desc(), col(Suggestion.id).desc())
    else:
        query = query.order_by(priority.desc(), col(Suggestion.created_at).asc(), col(Suggestion.id).asc())
    rows = session.exec(query.offset(offset).limit(limit)).all()
    total = count(session, query)
    decisions = _current_for(session, [s.id for s, _, _ in rows if s.id is not None]) if status == "decided" else {}
    data = [public(s, text=body, decision=decisions.get(s.id or 0), priority=p) for s, body, p in rows]
    next_cursor = encode_cursor(offset + limit) if offset + limit < total else None
    return data, total, next_cursor


def _current_for(session: Session, suggestion_ids: Sequence[int]) -> dict[int, Decision]:
    if not suggestion_ids:
        return {}
    latest = current_decisions()
    rows = session.exec(select(Decision).join(latest, and_(
        col(Decision.suggestion_id) == latest.c.suggestion_id, col(Decision.revision) == latest.c.revision))
        .where(col(Decision.suggestion_id).in_(suggestion_ids))).all()
    return {d.suggestion_id: d for d in rows}


def roll_up(*, session: Session, account: Account, classifier: Classifier, settings: Settings,
            now: datetime | None = None) -> Suggestion:
    """An account-scope suggestion: recency-weighted mean of its recent interactions' probabilities.

    Each interaction in the window weighs 0.5 ** (age / half-life); the explanation names the
    interactions that contributed most to the chosen colour.
    """
    now = now or utcnow()
    since = now - timedelta(days=settings.rollup_window_days)
    interactions = session.exec(select(Interaction).where(Interaction.account_id == account.id)
                                .where(col(Interaction.occurred_at) >= since)
                                .order_by(col(Interaction.occurred_at).desc())).all()
    if not interactions:
        raise UnprocessableError(
            f"account {account.id} has no interactions in the last {settings.rollup_window_days} days to roll up")
    probs = classifier.predict_proba([i.body for i in interactions])
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
    suggestion = from_prediction(prediction, account_id=account.id, scope=Scope.ACCOUNT, explanation=explanation)
    session.add(suggestion)
    session.commit()
    session.refresh(suggestion)
    return suggestion
