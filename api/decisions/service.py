"""Decisions: the current decision of suggestions, and the decision listing with its filters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import literal_column
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from api.db import count
from api.decisions.models import Decision, DecisionHead, DecisionPublic, Withdrawal, decision_public
from api.errors import ConflictError, PreconditionFailedError
from api.suggestions.models import Suggestion
from models.labels import Label

Q = TypeVar("Q", bound=Any)


def get_all(*, session: Session, team: str | None, filters: dict[str, Any], current: bool | None, limit: int,
            offset: int) -> tuple[list[DecisionPublic], int]:
    """Decisions with the facts they judged, oldest first, filtered; csm and lead see their team only."""
    is_current = col(DecisionHead.decision_id).is_not(None)
    query: Any = (select(Decision, is_current.label("current"), col(Withdrawal.created_at).label("withdrawn_at"))
                  .outerjoin(DecisionHead, col(DecisionHead.decision_id) == col(Decision.id))
                  .outerjoin(Withdrawal, col(Withdrawal.withdrawn_id) == col(Decision.id))
                  .where(*decision_filters(team=team, **filters)))
    if current is not None:
        query = query.where(is_current if current else ~is_current)
    rows = session.exec(query.order_by(col(Decision.created_at), col(Decision.id)).offset(offset).limit(limit)).all()
    total = count(session, query)
    return [decision_public(d, superseded=not head, withdrawn_at=withdrawn) for d, head, withdrawn in rows], total


def decision_filters(*, team: str | None = None, user_id: int | None = None, account_id: int | None = None,
                     model_version: str | None = None, since: datetime | None = None, until: datetime | None = None,
                     label: Label | None = None, suggested_label: Label | None = None, scope: str | None = None,
                     segment: str | None = None, blind: bool | None = None, language: str | None = None,
                     suggestion_id: int | None = None) -> list[Any]:
    """SQL conditions on decision columns, shared by the decision listing and the audit so their counts agree.

    `language` is the suggestion's (`unknown` for one scored before languages were recorded, or a roll-up).
    """
    wanted: list[tuple[Any, Any]] = [
        (Decision.team, team), (Decision.user_id, user_id), (Decision.account_id, account_id),
        (Decision.model_version, model_version), (Decision.label, label),
        (Decision.suggested_label, suggested_label), (Decision.scope, scope), (Decision.segment, segment),
        (Decision.blind, blind), (Decision.suggestion_id, suggestion_id),
    ]
    conditions = [col(column) == value for column, value in wanted if value is not None]
    if since is not None:
        conditions.append(col(Decision.created_at) >= since)
    if until is not None:
        conditions.append(col(Decision.created_at) <= until)  # inclusive (api.db.Until)
    if language is not None:
        of_language = (col(Suggestion.language).is_(None) if language == "unknown"
                       else col(Suggestion.language) == language)
        conditions.append(col(Decision.suggestion_id).in_(sa_select(col(Suggestion.id)).where(of_language)))
    return conditions


def standing(query: Q) -> Q:
    """A query over decisions restricted to those that stand (each suggestion's current one, its head)."""
    return query.join(DecisionHead, col(DecisionHead.decision_id) == col(Decision.id))  # type: ignore[no-any-return]


def current() -> SelectOfScalar[Decision]:
    """A select of the decisions that stand."""
    return standing(select(Decision))


def current_decision(*, session: Session, suggestion_id: int) -> Decision | None:
    """The decision that stands for a suggestion: the one its head points at."""
    found: Decision | None = session.exec(current().where(DecisionHead.suggestion_id == suggestion_id)).first()
    return found


def current_decisions(*, session: Session, suggestion_ids: Sequence[int]) -> dict[int, Decision]:
    """The decisions that stand for these suggestions, by suggestion id."""
    if not suggestion_ids:
        return {}
    rows = session.exec(current().where(col(DecisionHead.suggestion_id).in_(suggestion_ids))).all()
    return {d.suggestion_id: d for d in rows}


def from_current(query: Any) -> Any:
    """Restrict a query to current decisions, reading decision_heads first and each decision by its key.

    The unary plus keeps SQLite from searching decision_heads by index for every decision (twice as
    slow over a million rows); PostgreSQL reads it the same way.
    """
    return query.select_from(DecisionHead).join(
        Decision, col(Decision.id) == literal_column(f"+{DecisionHead.__tablename__}.decision_id"))


def stale_revision(suggestion_id: int, seen: int, current: int, body: dict[str, Any] | None
                   ) -> PreconditionFailedError:
    """If-Match named a revision that is no longer current: 412 with the decision that stands."""
    return PreconditionFailedError(
        f"suggestion {suggestion_id} was decided again since revision {seen}: it is at revision {current}; read it "
        "and decide again", field="If-Match", extra={"current": body})


def decided_at_once(suggestion_id: int, body: dict[str, Any] | None) -> ConflictError:
    """Two decisions on one suggestion at the same moment: the loser's 409, with the one that stands."""
    return ConflictError(f"another decision on suggestion {suggestion_id} was recorded at the same moment; read it "
                         "and decide again", extra={"current": body})


def key_reused(key: str, decision_id: int) -> ConflictError:
    """An Idempotency-Key sent again with a different request."""
    return ConflictError(f"Idempotency-Key {key!r} was already used for a different request (decision "
                         f"{decision_id}); use a new key for a new decision", field="Idempotency-Key")
