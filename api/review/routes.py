"""HTTP routes of the review loop: the queue, one suggestion, reasons, deciding and the decision listing.

`POST /v1/suggest` (stateless scoring) is declared here, in its place among the suggestion routes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Response

from api.db import Until, as_utc, utcnow
from api.decisions import service as decisions
from api.decisions import shown
from api.decisions.models import DecisionCreate, DecisionPublic, DecisionsPublic
from api.decisions.shown import SuggestionPublic, SuggestionsPublic
from api.deps import ClassifierDep, CurrentUser, MetricsDep, SessionDep, SettingsDep, require
from api.errors import UnprocessableError
from api.ids import IdPath, IdQuery
from api.intake import service as intake
from api.interactions.models import Interaction
from api.policies import TEAM_READERS, visible_team
from api.review import checking, queue, undo
from api.review import decide as decide_service
from api.scale import Scale
from api.scale import parse as parse_scale
from api.suggestions.models import (
    Scope,
    SuggestRequest,
    SuggestResponse,
)
from api.users.models import Role, User
from models.labels import Label

router = APIRouter(prefix="/v1", tags=["suggestions"])
decisions_router = APIRouter(prefix="/v1", tags=["decisions"])
TeamMember = Annotated[User, Depends(require(*TEAM_READERS, action="read the review queue"))]
Decider = Annotated[User, Depends(require(*TEAM_READERS, action="decide on suggestions"))]
Reader = Annotated[User, Depends(require(Role.CSM, Role.LEAD, Role.DATA_SCIENTIST, Role.ADMIN,
                                         action="read decisions"))]


@router.get("/suggestions", response_model=SuggestionsPublic)
def review_queue(session: SessionDep, user: TeamMember, settings: SettingsDep,
                 status: Literal["pending", "decided"] = "pending", scope: Scope | None = None,
                 account_id: IdQuery = None, limit: Annotated[int | None, Query(ge=1)] = None,
                 cursor: Annotated[str | None, Query(max_length=200)] = None) -> SuggestionsPublic:
    """The review queue: pending suggestions most in need of review first (or decided, newest first)."""
    limit = limit or settings.queue_page_size
    if limit > settings.queue_max_page_size:
        raise UnprocessableError(f"limit must be at most {settings.queue_max_page_size}, got {limit}", field="limit")
    data, count, next_cursor = queue.queue(session=session, team=visible_team(user), status=status, scope=scope,
                                             account_id=account_id, limit=limit, cursor=cursor,
                                             today=utcnow().date(), settings=settings, viewer_id=user.id,
                                             own_decided=user.role == Role.CSM)
    return SuggestionsPublic(data=data, count=count, next_cursor=next_cursor)


@router.get("/suggestions/{suggestion_id}", response_model=SuggestionPublic)
def get_suggestion(suggestion_id: IdPath, session: SessionDep, user: TeamMember,
                   response: Response) -> SuggestionPublic:
    """One suggestion with its text and current decision; the ETag is that decision's revision (0: none)."""
    suggestion = checking.get_or_raise(session=session, user=user, suggestion_id=suggestion_id)
    message, answer = checking.message_and_answer(session, suggestion)
    interaction = session.get(Interaction, message) if message else None
    decision = answer or decisions.current_decision(session=session, suggestion_id=suggestion_id)
    response.headers["ETag"] = f'"{decision.revision if decision else 0}"'
    if decision is None:
        checking.note_served(session, user, suggestion)
    return shown.public(suggestion, text=interaction.body if interaction else None, decision=decision,
                              interaction_id=message)


# Not a CSM's: the model's answer on a message's text, asked for at will, would tell a check item's decoy (shown
# with a colour the model did not give) from an ordinary item. A CSM has text scored by logging it on an account.
Scorer = Annotated[User, Depends(require(Role.LEAD, Role.DATA_SCIENTIST, Role.ADMIN,
                                         action="score text without storing it"))]


@router.post("/suggest", response_model=SuggestResponse)
def suggest(data: SuggestRequest, _user: Scorer, settings: SettingsDep,
            classifier: ClassifierDep) -> SuggestResponse:
    """Score texts without storing anything (leads, data scientists and admins)."""
    return SuggestResponse(model_version=classifier.version, data=intake.suggest(classifier, data.texts, settings))


@router.get("/reasons")
def reasons(_user: CurrentUser, settings: SettingsDep) -> dict[str, object]:
    """The sentiment reasons for each colour and the override reasons a decision may give."""
    return {"sentiment_reasons": {label.value: settings.sentiment_reasons[label] for label in Label},
            "override_reasons": settings.override_reasons}


@router.get("/scale", response_model=Scale)
def scale(_user: CurrentUser, settings: SettingsDep) -> Scale:
    """The points people decide on, each with the colour it counts as and its definition (PULSE_SCALE,
    PULSE_GUIDELINES)."""
    return parse_scale(settings.scale, settings.guidelines)


@decisions_router.post("/suggestions/{suggestion_id}/withdraw", response_model=SuggestionPublic)
def withdraw(suggestion_id: IdPath, session: SessionDep, user: Decider) -> SuggestionPublic:
    """Take back your own decision on a message within ten minutes of making it: the item is pending again.

    The decision is kept, with `withdrawn_at` in GET /v1/decisions, and no longer counts anywhere (audit, export,
    training), as a superseded revision does. 409 when none of yours stands or the ten minutes have passed; an
    account roll-up's decision set the pulse and is changed with a new decision instead (422).
    """
    suggestion = undo.withdraw(session=session, user=user, suggestion_id=suggestion_id)
    message, _ = checking.message_and_answer(session, suggestion)
    interaction = session.get(Interaction, message) if message else None
    return shown.public(suggestion, text=interaction.body if interaction else None, interaction_id=message)


REPLAYED: dict[int | str, dict[str, Any]] = {
    200: {"model": DecisionPublic, "description": "Idempotency-Key replayed: the earlier decision"}}


@decisions_router.post("/suggestions/{suggestion_id}/decisions", status_code=201, response_model=DecisionPublic,
             responses=REPLAYED)
def decide(suggestion_id: IdPath, data: DecisionCreate, response: Response, session: SessionDep, user: Decider,
           settings: SettingsDep, metrics: MetricsDep,
           idempotency_key: Annotated[str | None, Header(min_length=1, max_length=200)] = None,
           if_match: Annotated[str | None, Header(max_length=20, description="the suggestion's ETag as read: the "
                                                                             "current decision's revision")] = None
           ) -> DecisionPublic:
    """Accept or override a suggestion; a later decision supersedes this one without deleting it.

    With If-Match (the ETag of GET /v1/suggestions/{id}), a decision made by someone else since is
    answered 412 with the current decision instead of being overwritten.
    """
    revision = None
    if if_match is not None:
        try:
            revision = int(if_match.strip().removeprefix("W/").strip('"'))
        except ValueError:
            raise UnprocessableError(f"If-Match must be the ETag of the suggestion, such as \"2\", got {if_match!r}",
                                     field="If-Match") from None
    decision, created = decide_service.decide(session=session, user=user, suggestion_id=suggestion_id, data=data,
                                       idempotency_key=idempotency_key, settings=settings, if_revision=revision)
    if created:
        metrics.decided(decision.accepted, decision.blind)
    else:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return decision


@decisions_router.get("/decisions", response_model=DecisionsPublic)
def list_decisions(session: SessionDep, user: Reader, user_id: IdQuery = None, account_id: IdQuery = None,
                   suggestion_id: IdQuery = None,
                   model_version: Annotated[str | None, Query(max_length=100)] = None,
                   since: datetime | None = None, until: Until = None,
                   label: Label | None = None, suggested_label: Label | None = None, scope: Scope | None = None,
                   segment: Annotated[str | None, Query(max_length=100)] = None, blind: bool | None = None,
                   language: Annotated[str | None, Query(max_length=8, description="ISO 639-1, und or unknown")
                                       ] = None,
                   current: bool | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                   offset: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0) -> DecisionsPublic:
    """Decisions beside their suggestions; the filters reproduce any count of the audit summary."""
    filters = {"user_id": user_id, "account_id": account_id, "model_version": model_version,
               "since": as_utc(since, "since"), "until": as_utc(until, "until"), "label": label,
               "suggested_label": suggested_label,
               "scope": scope, "segment": segment, "blind": blind, "language": language,
               "suggestion_id": suggestion_id}
    data, count = checking.decisions_for(session, user=user, filters=filters, current=current, limit=limit,
                                         offset=offset)
    return DecisionsPublic(data=data, count=count)
