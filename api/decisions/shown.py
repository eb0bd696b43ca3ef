"""Suggestions as people are shown them: with their current decision, only where the viewer may see them.

A suggestion is a record below decisions; the view that joins the two, the reads that apply the team and
colleague rules, and superseding a pending suggestion (which must know whether it was decided) live here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, update
from sqlmodel import Field, Session, SQLModel, col

from api.decisions.models import Decision, DecisionHead, DecisionPublic, decision_public
from api.suggestions.models import CuePublic, Scope, Suggestion
from models.labels import Label


class SuggestionPublic(SQLModel):
    """A suggestion with its text, its evidence and, once decided, the current decision."""

    id: int
    scope: Scope
    account_id: int
    interaction_id: int | None
    label: Label | None = Field(description="null while a blind suggestion is pending")
    probabilities: dict[str, float] | None
    confidence: float | None
    model_version: str
    explanation: list[dict[str, Any]]
    cues: list[CuePublic] = Field(default_factory=list, description="risk and health cues, strongest first; empty "
                                                                    "while a blind suggestion is pending")
    created_at: datetime
    text: str | None = None
    status: str
    blind: bool = Field(default=False, description="served without the model's answer until decided")
    decision: DecisionPublic | None = None
    priority: float | None = Field(default=None, description="queue rank score: higher needs review sooner")
    superseded_by: int | None = Field(default=None, description="the suggestion that replaced this pending one")
    why: str | None = Field(default=None, description="why the item is where it is in the queue")
    language: str | None = Field(default=None, description="language of the text (ISO 639-1; und: unsure)")
    unsupported_language: bool = Field(default=False, description="the model does not read this language: "
                                                                  "its confidence is capped, a person decides")


class SuggestionsPublic(SQLModel):
    """A page of the review queue."""

    data: list[SuggestionPublic]
    count: int
    next_cursor: str | None


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
