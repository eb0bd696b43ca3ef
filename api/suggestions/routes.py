"""HTTP routes for the review queue and stateless scoring."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from api.db import utcnow
from api.deps import ClassifierDep, CurrentUser, SessionDep, SettingsDep, require
from api.errors import UnprocessableError
from api.ids import IdPath, IdQuery
from api.interactions.models import Interaction
from api.policies import TEAM_READERS, visible_team
from api.suggestions import service
from api.suggestions.models import (
    Scope,
    SuggestionPublic,
    SuggestionsPublic,
    SuggestRequest,
    SuggestResponse,
    TextSuggestion,
)
from api.users.models import User
from models import explain
from models.labels import Label
from pipelines.clean import clean_text

router = APIRouter(prefix="/v1", tags=["suggestions"])
TeamMember = Annotated[User, Depends(require(*TEAM_READERS, action="read the review queue"))]


@router.get("/suggestions", response_model=SuggestionsPublic)
def review_queue(session: SessionDep, user: TeamMember, settings: SettingsDep,
                 status: Literal["pending", "decided"] = "pending", scope: Scope | None = None,
                 account_id: IdQuery = None, limit: Annotated[int | None, Query(ge=1)] = None,
                 cursor: Annotated[str | None, Query(max_length=200)] = None) -> SuggestionsPublic:
    """The review queue: pending suggestions most in need of review first (or decided, newest first)."""
    limit = limit or settings.queue_page_size
    if limit > settings.queue_max_page_size:
        raise UnprocessableError(f"limit must be at most {settings.queue_max_page_size}, got {limit}", field="limit")
    data, count, next_cursor = service.queue(session=session, team=visible_team(user), status=status, scope=scope,
                                             account_id=account_id, limit=limit, cursor=cursor,
                                             today=utcnow().date(), settings=settings)
    return SuggestionsPublic(data=data, count=count, next_cursor=next_cursor)


@router.get("/suggestions/{suggestion_id}", response_model=SuggestionPublic)
def get_suggestion(suggestion_id: IdPath, session: SessionDep, user: TeamMember,
                   response: Response) -> SuggestionPublic:
    """One suggestion with its text and current decision; the ETag is that decision's revision (0: none)."""
    suggestion = service.get_or_raise(session=session, user=user, suggestion_id=suggestion_id)
    interaction = session.get(Interaction, suggestion.interaction_id) if suggestion.interaction_id else None
    decision = service.current_decision(session=session, suggestion_id=suggestion_id)
    response.headers["ETag"] = f'"{decision.revision if decision else 0}"'
    return service.public(suggestion, text=interaction.body if interaction else None, decision=decision)


@router.post("/suggest", response_model=SuggestResponse)
def suggest(data: SuggestRequest, _user: CurrentUser, settings: SettingsDep,
            classifier: ClassifierDep) -> SuggestResponse:
    """Score texts without storing anything."""
    if len(data.texts) > settings.max_texts_per_request:
        raise UnprocessableError(f"texts holds {len(data.texts)} items; at most "
                                 f"{settings.max_texts_per_request} per request", field="texts")
    cleaned = [clean_text(t) for t in data.texts]
    empty = [i for i, t in enumerate(cleaned) if not t]
    if empty:
        raise UnprocessableError(f"texts.{empty[0]} holds no text once quoting and markup are removed",
                                 field=f"texts.{empty[0]}")
    predictions = explain.predict(classifier, cleaned)
    return SuggestResponse(model_version=classifier.version, data=[
        TextSuggestion(label=p.label, probabilities={k.value: round(v, 6) for k, v in p.probabilities.items()},
                       model_version=p.model_version, explanation=[asdict(e) for e in p.explanation])
        for p in predictions
    ])


@router.get("/reasons")
def reasons(_user: CurrentUser, settings: SettingsDep) -> dict[str, object]:
    """The sentiment reasons for each colour and the override reasons a decision may give."""
    return {"sentiment_reasons": {label.value: settings.sentiment_reasons[label] for label in Label},
            "override_reasons": settings.override_reasons}
