"""HTTP routes for decisions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response

from api.decisions import service
from api.decisions.models import DecisionCreate, DecisionPublic, DecisionsPublic
from api.deps import MetricsDep, SessionDep, SettingsDep, require
from api.errors import UnprocessableError
from api.ids import IdPath, IdQuery
from api.policies import TEAM_READERS
from api.suggestions.models import Scope
from api.users.models import Role, User
from models.labels import Label

router = APIRouter(prefix="/v1", tags=["decisions"])
Decider = Annotated[User, Depends(require(*TEAM_READERS, action="decide on suggestions"))]
Reader = Annotated[User, Depends(require(Role.CSM, Role.LEAD, Role.DATA_SCIENTIST, Role.ADMIN,
                                         action="read decisions"))]


def as_utc(moment: datetime | None) -> datetime | None:
    """A query timestamp in UTC; one given without a timezone is taken as UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


REPLAYED: dict[int | str, dict[str, Any]] = {
    200: {"model": DecisionPublic, "description": "Idempotency-Key replayed: the earlier decision"}}


@router.post("/suggestions/{suggestion_id}/decisions", status_code=201, response_model=DecisionPublic,
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
    decision, created = service.decide(session=session, user=user, suggestion_id=suggestion_id, data=data,
                                       idempotency_key=idempotency_key, settings=settings, if_revision=revision)
    if created:
        metrics.decided(decision.accepted, decision.blind)
    else:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return decision


@router.get("/decisions", response_model=DecisionsPublic)
def list_decisions(session: SessionDep, user: Reader, user_id: IdQuery = None, account_id: IdQuery = None,
                   model_version: Annotated[str | None, Query(max_length=100)] = None,
                   since: datetime | None = None, until: datetime | None = None,
                   label: Label | None = None, suggested_label: Label | None = None, scope: Scope | None = None,
                   segment: Annotated[str | None, Query(max_length=100)] = None, blind: bool | None = None,
                   current: bool | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                   offset: Annotated[int, Query(ge=0)] = 0) -> DecisionsPublic:
    """Decisions beside their suggestions; the filters reproduce any count of the audit summary."""
    team = user.team if user.role in (Role.CSM, Role.LEAD) else None
    filters = {"user_id": user_id, "account_id": account_id, "model_version": model_version,
               "since": as_utc(since), "until": as_utc(until), "label": label, "suggested_label": suggested_label,
               "scope": scope, "segment": segment, "blind": blind}
    data, count = service.get_all(session=session, team=team, filters=filters, current=current, limit=limit,
                                  offset=offset)
    return DecisionsPublic(data=data, count=count)
