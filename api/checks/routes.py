"""HTTP routes for check items: leads mark decided messages with an agreed colour, list and retire them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.checks import service
from api.checks.models import CheckCreate, CheckPublic, ChecksPublic
from api.deps import SessionDep, require
from api.ids import IdPath
from api.policies import team_for_filter
from api.users.models import Role, User

router = APIRouter(prefix="/v1/checks", tags=["checks"])
Lead = Annotated[User, Depends(require(Role.LEAD, Role.ADMIN, action="manage check items"))]


@router.post("", status_code=201, response_model=CheckPublic)
def create_check(data: CheckCreate, session: SessionDep, user: Lead) -> CheckPublic:
    """Mark a decided message as a check item with the colour a lead agreed it has.

    Copies are re-served to CSMs of the team (PULSE_CHECK_SHARE of what they decide, never to whoever
    decided the message), some with a deliberately wrong suggestion (PULSE_CHECK_DECOY_SHARE). Answers
    on copies feed each person's check accuracy and decoy acceptance in the audit, and nothing else.
    """
    check = service.create(session=session, user=user, data=data)
    session.commit()
    return CheckPublic.model_validate(check)


@router.get("", response_model=ChecksPublic)
def list_checks(session: SessionDep, user: Lead,
                team: Annotated[str | None, Query(max_length=100)] = None) -> ChecksPublic:
    """Check items, newest first (the latest 1,000), with how often each was served and answered right."""
    found = service.listing(session=session, team=team_for_filter(user, team))
    return ChecksPublic(data=found, count=len(found))


@router.post("/{check_id}/retire", response_model=CheckPublic)
def retire_check(check_id: IdPath, session: SessionDep, user: Lead) -> CheckPublic:
    """Stop serving a check item; its answers stay in the audit."""
    check = service.retire(session=session, user=user, check_id=check_id)
    session.commit()
    return CheckPublic.model_validate(check)
