"""HTTP routes for the audit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.audit import service, shadow
from api.audit.models import AuditSettings, AuditSummary
from api.audit.shadow import ShadowComparison
from api.db import Until, as_utc
from api.deps import SessionDep, SettingsDep, require
from api.errors import NotFoundError
from api.model_versions.models import ModelVersion
from api.policies import team_for_filter
from api.suggestions.models import Scope
from api.users.models import Role, User

router = APIRouter(prefix="/v1/audit", tags=["audit"])
Auditor = Annotated[User, Depends(require(Role.LEAD, Role.ADMIN, action="read the audit"))]


@router.get("/summary", response_model=AuditSummary)
def audit_summary(session: SessionDep, user: Auditor, settings: SettingsDep, since: datetime | None = None,
                  until: Until = None, team: Annotated[str | None, Query(max_length=100)] = None,
                  model_version: Annotated[str | None, Query(max_length=100)] = None,
                  scope: Scope | None = None,
                  segment: Annotated[str | None, Query(max_length=100)] = None) -> AuditSummary:
    """Agreement, direction, rubber-stamping, anchoring, trends and outcomes over current decisions."""
    thresholds = AuditSettings.from_settings(settings)
    return service.summary(session=session, team=team_for_filter(user, team), since=as_utc(since, "since"),
                           until=as_utc(until, "until"), model_version=model_version, scope=scope, segment=segment,
                           settings=thresholds)


ShadowReader = Annotated[User, Depends(require(Role.LEAD, Role.DATA_SCIENTIST, Role.ADMIN,
                                               action="compare shadow versions"))]


@router.get("/shadow", response_model=ShadowComparison)
def shadow_comparison(session: SessionDep, user: ShadowReader, version: Annotated[str, Query(max_length=100)],
                      team: Annotated[str | None, Query(max_length=100)] = None) -> ShadowComparison:
    """A shadow version against the suggestions people were shown, judged by the same current decisions."""
    if session.get(ModelVersion, version) is None:
        raise NotFoundError(f"model version {version!r} not found")
    return shadow.compare(session=session, version=version, team=team_for_filter(user, team))
