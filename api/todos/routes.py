"""HTTP routes for to-dos: an account's list, and completing one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlmodel import SQLModel

from api.deps import SessionDep, require
from api.ids import IdPath
from api.policies import TEAM_READERS
from api.todos import service
from api.todos.models import TodoPublic
from api.users.models import User

router = APIRouter(prefix="/v1", tags=["todos"])
TeamMember = Annotated[User, Depends(require(*TEAM_READERS, action="work with to-dos"))]


class TodosPublic(SQLModel):
    """An account's to-dos, open ones first."""

    data: list[TodoPublic]
    count: int


@router.get("/accounts/{account_id}/todos", response_model=TodosPublic)
def list_todos(account_id: IdPath, session: SessionDep, user: TeamMember, open: bool = False) -> TodosPublic:
    """An account's to-dos (from pulse updates), open ones first by due date; `open=true` for those only."""
    found = service.for_account(session=session, user=user, account_id=account_id, open_only=open)
    return TodosPublic(data=[TodoPublic.model_validate(t) for t in found], count=len(found))


@router.post("/todos/{todo_id}/complete", response_model=TodoPublic)
def complete_todo(todo_id: IdPath, session: SessionDep, user: TeamMember) -> TodoPublic:
    """Mark a to-do done; completing it twice is a 409."""
    todo = service.complete(session=session, user=user, todo_id=todo_id)
    session.commit()
    return TodoPublic.model_validate(todo)
