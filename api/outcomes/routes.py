"""HTTP routes for account outcomes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlmodel import SQLModel

from api.deps import SessionDep, require
from api.ids import IdPath
from api.outcomes import service
from api.outcomes.models import OutcomeCreate, OutcomePublic
from api.policies import TEAM_READERS
from api.users.models import User

router = APIRouter(prefix="/v1/accounts", tags=["outcomes"])
TeamMember = Annotated[User, Depends(require(*TEAM_READERS, action="record account outcomes"))]


class OutcomesPublic(SQLModel):
    """An account's outcomes."""

    data: list[OutcomePublic]
    count: int


@router.post("/{account_id}/outcomes", status_code=201, response_model=OutcomePublic)
def record_outcome(account_id: IdPath, data: OutcomeCreate, session: SessionDep, user: TeamMember) -> OutcomePublic:
    """Record that an account renewed, churned or downsold on a date."""
    outcome = service.create(session=session, user=user, account_id=account_id, data=data)
    session.commit()
    return OutcomePublic.model_validate(outcome)


@router.get("/{account_id}/outcomes", response_model=OutcomesPublic)
def list_outcomes(account_id: IdPath, session: SessionDep, user: TeamMember) -> OutcomesPublic:
    """An account's outcomes, oldest first."""
    outcomes = service.get_all(session=session, user=user, account_id=account_id)
    return OutcomesPublic(data=[OutcomePublic.model_validate(o) for o in outcomes], count=len(outcomes))
