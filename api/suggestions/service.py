"""Suggestions: the model's stored predictions, as rows and as the API shows them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import ColumnElement, exists, update
from sqlmodel import Session, col, select

from api import draws
from api.accounts.models import Account
from api.decisions.models import Decision, DecisionHead, DecisionPublic, decision_public
from api.errors import ConflictError, NotFoundError
from api.policies import can_see
from api.suggestions.models import CuePublic, Scope, Suggestion, SuggestionPublic
from api.users.models import Role, User
from models.classifier import Prediction
from models.cues import risk_of
from models.labels import Label


def from_prediction(prediction: Prediction, *, account_id: int, scope: Scope, blind_share: float,
                    interaction_id: int | None = None, explanation: list[dict[str, Any]] | None = None,
                    seed: int | None = None) -> Suggestion:
    """A suggestion row for a prediction (not yet added to a session).

    A random `blind_share` of suggestions are blind: served without the model's answer until decided.
    """
    return Suggestion(blind=draws.chance(blind_share, seed), scope=scope, account_id=account_id,
                      interaction_id=interaction_id, **stored_fields(prediction, explanation))


def stored_fields(prediction: Prediction, explanation: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The columns of a stored prediction (models.PredictionBase) that the prediction itself fills."""
    p = prediction.probabilities
    return {
        "label": prediction.label, "p_red": round(p[Label.RED], 6), "p_yellow": round(p[Label.YELLOW], 6),
        "p_green": round(p[Label.GREEN], 6), "confidence": round(prediction.confidence, 6),
        "margin": round(prediction.margin, 6), "model_version": prediction.model_version,
        "explanation": explanation if explanation is not None else [asdict(e) for e in prediction.explanation],
        "cues": [asdict(c) for c in prediction.cues], "risk": risk_of(prediction.cues),
        "language": prediction.language, "unsupported_language": prediction.unsupported_language,
    }


def get_or_raise(*, session: Session, user: User, suggestion_id: int, deciding: bool = False) -> Suggestion:
    """A suggestion the user may see; another team's answers exactly like a missing one.

    A message a colleague decided is not a CSM's to read (404); one they try to decide, having had it open
    while a colleague decided it, is a 409 that shows nothing of the colleague's decision.
    """
    row = session.exec(select(Suggestion, Account.team).join(Account, col(Account.id) == Suggestion.account_id)
                       .where(Suggestion.id == suggestion_id)).first()
    if row is None or not can_see(user, row[1]):
        raise NotFoundError(f"suggestion {suggestion_id} not found")
    if row[0].served_to is not None and row[0].served_to != user.id and user.role == Role.CSM:
        raise NotFoundError(f"suggestion {suggestion_id} not found")  # another person's copy of a check item
    if user.role == Role.CSM and decided_by_another(session, row[0], user):
        # A CSM sees the messages they decided, never which ones colleagues did: that would tell a check item's
        # copy (of a message decided before) from an ordinary item.
        if deciding:
            raise ConflictError(f"suggestion {suggestion_id} was decided by a colleague while you had it open; it "
                                "has left your queue")
        raise NotFoundError(f"suggestion {suggestion_id} not found")
    return row[0]


def decided_by_another(session: Session, suggestion: Suggestion, user: User) -> bool:
    """Whether a message's suggestion was decided, and never by `user` (roll-ups never count)."""
    if suggestion.scope != Scope.INTERACTION or suggestion.check_id is not None:
        return False
    if session.get(DecisionHead, suggestion.id) is None:
        return False
    return session.exec(select(Decision.id).where(Decision.suggestion_id == suggestion.id)
                        .where(Decision.user_id == user.id)).first() is None


def public(suggestion: Suggestion, *, text: str | None = None, decision: Decision | DecisionPublic | None = None,
           priority: float | None = None, why: str | None = None,
           interaction_id: int | None = None) -> SuggestionPublic:
    """A suggestion as the API shows it; a blind one shows no label, probabilities or evidence until decided.

    `interaction_id` names the message of a check item's copy (which has none of its own); `decision` may
    be the answer on such a copy, already shaped as a decision.
    """
    assert suggestion.id is not None
    shown = decision_public(decision, superseded=False) if isinstance(decision, Decision) else decision
    hidden = suggestion.blind and decision is None
    return SuggestionPublic(
        id=suggestion.id, scope=suggestion.scope, account_id=suggestion.account_id,
        interaction_id=suggestion.interaction_id or interaction_id, label=None if hidden else suggestion.label,
        probabilities=None if hidden else suggestion.probabilities,
        confidence=None if hidden else suggestion.confidence,
        model_version=suggestion.model_version, explanation=[] if hidden else suggestion.explanation,
        cues=[] if hidden else [CuePublic.model_validate({"interaction_id": suggestion.interaction_id or interaction_id,
                                                          **c}) for c in suggestion.cues],
        created_at=suggestion.created_at, text=text, status="decided" if decision else "pending",
        blind=suggestion.blind, decision=shown,
        priority=None if priority is None else round(priority, 4), superseded_by=suggestion.superseded_by_id,
        why=None if hidden else why, language=suggestion.language,
        unsupported_language=suggestion.unsupported_language,
    )


def supersede(session: Session, newer: Suggestion, same: tuple[ColumnElement[bool], ...]) -> int:
    """Mark the pending suggestions matching `same` (other than `newer`) as replaced by it; returns how many.

    Decided suggestions stay as they are: they are the audit record.
    """
    decided = exists().where(col(DecisionHead.suggestion_id) == col(Suggestion.id))
    result = session.execute(update(Suggestion).where(*same).where(col(Suggestion.id) != newer.id)
                             .where(col(Suggestion.superseded_by_id).is_(None)).where(~decided)
                             .values(superseded_by_id=newer.id))
    return int(result.rowcount)  # type: ignore[attr-defined]
