"""HTTP routes for the audit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.audit import service
from api.audit.service import AuditSettings, AuditSummary
from api.decisions.routes import as_utc
from api.deps import SessionDep, SettingsDep, require
from api.policies import team_for_filter
from api.suggestions.models import Scope
from api.users.models import Role, User

router = APIRouter(prefix="/v1/audit", tags=["audit"])
Auditor = Annotated[User, Depends(require(Role.LEAD, Role.ADMIN, action="read the audit"))]


@router.get("/summary", response_model=AuditSummary)
def audit_summary(session: SessionDep, user: Auditor, settings: SettingsDep, since: datetime | None = None,
                  until: datetime | None = None, team: Annotated[str | None, Query(max_length=100)] = None,
                  model_version: Annotated[str | None, Query(max_length=100)] = None,
                  scope: Scope | None = None,
                  segment: Annotated[str | None, Query(max_length=100)] = None) -> AuditSummary:
    """Agreement, direction, rubber-stamping, anchoring, trends and outcomes over current decisions."""
    thresholds = AuditSettings(
        min_decisions=settings.audit_min_decisions, low_confidence=settings.audit_low_confidence,
        fast_ms=settings.audit_fast_ms, min_evidence=settings.audit_min_evidence, min_week=settings.audit_min_week,
        drift_window=settings.audit_drift_window)
    return service.summary(session=session, team=team_for_filter(user, team), since=as_utc(since),
                           until=as_utc(until), model_version=model_version, scope=scope, segment=segment,
                           settings=thresholds)
