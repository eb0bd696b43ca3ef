"""Decisions: append-only, idempotent on the caller's key, checked against the reason lists."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.accounts.models import Account
from api.config import Settings
from api.db import utcnow
from api.decisions.models import Decision, DecisionCreate, DecisionPublic
from api.errors import ConflictError, UnprocessableError
from api.suggestions import service as suggestions
from api.suggestions.models import Suggestion
from api.users.models import User
from models.labels import Label


def _request_hash(suggestion_id: int, data: DecisionCreate) -> str:
    canonical = json.dumps({"suggestion_id": suggestion_id, **data.model_dump(mode="json")}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_reasons(data: DecisionCreate, suggested: Label, settings: Settings) -> None:
    """A sentiment reason must fit the chosen colour; an override needs an override reason."""
    allowed = settings.sentiment_reasons[data.label]
    if data.sentiment_reason is not None and data.sentiment_reason not in allowed:
        raise UnprocessableError(
            f"sentiment_reason {data.sentiment_reason!r} is not a reason for {data.label.value}; "
            f"choose one of {', '.join(allowed)}", field="sentiment_reason")
    overriding = data.label != suggested
    if overriding and not data.override_reason:
        raise UnprocessableError(
            f"override_reason is required when the label ({data.label.value}) differs from the suggestion "
            f"({suggested.value}); choose one of {', '.join(settings.override_reasons)}", field="override_reason")
    if data.override_reason is not None:
        if not overriding:
            raise UnprocessableError("override_reason applies only when the label differs from the suggestion "
                                     f"({suggested.value})", field="override_reason")
        if data.override_reason not in settings.override_reasons:
            raise UnprocessableError(
                f"override_reason {data.override_reason!r} is not known; choose one of "
                f"{', '.join(settings.override_reasons)}", field="override_reason")


def decide(*, session: Session, user: User, suggestion_id: int, data: DecisionCreate,
           idempotency_key: str | None, settings: Settings,
           at: datetime | None = None) -> tuple[DecisionPublic, bool]:
    """Record a decision that supersedes the current one; returns (decision, created).

    The same Idempotency-Key with the same body returns the decision it made the first time.
    `at` records when a decision imported from elsewhere was made; the API always uses now.
    """
    suggestion = suggestions.get_or_raise(session=session, user=user, suggestion_id=suggestion_id)
    request_hash = _request_hash(suggestion_id, data)
    if idempotency_key is not None:
        replay = _replay(session, user, idempotency_key, request_hash)
        if replay is not None:
            return replay, False
    check_reasons(data, Label(suggestion.label), settings)
    current = suggestions.current_decision(session=session, suggestion_id=suggestion_id)
    decision = Decision(
        suggestion_id=suggestion_id, user_id=user.id or 0, revision=(current.revision + 1) if current else 1,
        supersedes_id=current.id if current else None, label=data.label, accepted=data.label == suggestion.label,
        sentiment_reason=data.sentiment_reason, override_reason=data.override_reason, note=data.note,
        blind=data.blind, viewed_ms=data.viewed_ms, idempotency_key=idempotency_key, request_hash=request_hash,
        created_at=at or utcnow(),
    )
    session.add(decision)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        if idempotency_key is not None:
            replay = _replay(session, user, idempotency_key, request_hash)
            if replay is not None:
                return replay, False
        raise ConflictError(f"another decision on suggestion {suggestion_id} was recorded at the same moment; "
                            "read it and decide again") from None
    session.refresh(decision)
    return suggestions.decision_public(decision, suggestion, superseded=False), True


def _replay(session: Session, user: User, key: str, request_hash: str) -> DecisionPublic | None:
    earlier = session.exec(select(Decision).where(Decision.user_id == user.id)
                           .where(Decision.idempotency_key == key)).first()
    if earlier is None:
        return None
    if earlier.request_hash != request_hash:
        raise ConflictError(f"Idempotency-Key {key!r} was already used for a different request "
                            f"(decision {earlier.id}); use a new key for a new decision", field="Idempotency-Key")
    suggestion = session.get(Suggestion, earlier.suggestion_id)
    assert suggestion is not None
    return suggestions.decision_public(earlier, suggestion, superseded=_is_superseded(session, earlier))


def _is_superseded(session: Session, decision: Decision) -> bool:
    later = session.exec(select(func.count()).select_from(Decision)
                         .where(Decision.suggestion_id == decision.suggestion_id)
                         .where(col(Decision.revision) > decision.revision)).one()
    return bool(later)


def get_all(*, session: Session, team: str | None, filters: dict[str, Any], current: bool | None, limit: int,
            offset: int) -> tuple[list[DecisionPublic], int]:
    """Decisions beside their suggestions, oldest first, filtered; csm and lead see their team only."""
    latest = suggestions.current_decisions()
    is_current = latest.c.revision.is_not(None)
    query = (select(Decision, Suggestion, is_current.label("current"))
             .join(Suggestion, col(Suggestion.id) == col(Decision.suggestion_id))
             .join(Account, col(Account.id) == col(Suggestion.account_id))
             .outerjoin(latest, and_(col(Decision.suggestion_id) == latest.c.suggestion_id,
                                     col(Decision.revision) == latest.c.revision))
             .where(*suggestions.filters(team=team, **filters)))
    if current is not None:
        query = query.where(is_current if current else ~is_current)
    rows = session.exec(query.order_by(col(Decision.created_at), col(Decision.id)).offset(offset).limit(limit)).all()
    total = suggestions.count(session, query)
    return [suggestions.decision_public(d, s, superseded=not current) for d, s, current in rows], total
