"""HTTP routes for account signals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlmodel import SQLModel

from api.deps import SessionDep, require
from api.ids import IdPath
from api.policies import TEAM_READERS
from api.signals import service
from api.signals.models import SignalCreate, SignalPublic
from api.users.models import User

router = APIRouter(prefix="/v1/accounts", tags=["signals"])
TeamMember = Annotated[User, Depends(require(*TEAM_READERS, action="record account signals"))]


class SignalsPublic(SQLModel):
    """An account's signals, newest first."""

    data: list[SignalPublic]
    count: int


@router.post("/{account_id}/signals", status_code=201, response_model=SignalPublic)
def record_signal(account_id: IdPath, data: SignalCreate, session: SessionDep, user: TeamMember) -> SignalPublic:
    """Record a risk signal for an account: kind, value, source and when it was observed."""
    signal = service.create(session=session, user=user, account_id=account_id, data=data)
    session.commit()
    return SignalPublic.model_validate(signal)


@router.get("/{account_id}/signals", response_model=SignalsPublic)
def list_signals(account_id: IdPath, session: SessionDep, user: TeamMember) -> SignalsPublic:
    """An account's signals, newest first (the latest of each kind also shows on the account)."""
    found = service.history(session=session, user=user, account_id=account_id)
    return SignalsPublic(data=[SignalPublic.model_validate(s) for s in found], count=len(found))
