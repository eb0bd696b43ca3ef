"""To-dos: made with a pulse update, listed per account, completed once."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import update
from sqlmodel import Session, col, select

from api.accounts import service as accounts
from api.accounts.models import Account
from api.db import utcnow
from api.decisions.models import TodoCreate
from api.errors import ConflictError, NotFoundError, UnprocessableError
from api.policies import CONFINED, can_see
from api.todos.models import Todo, TodoPublic
from api.users.models import User


def build(session: Session, account: Account, items: Sequence[TodoCreate], user: User) -> list[Todo]:
    """To-do rows for an account (not yet added); every owner must be an active csm or lead of its team.

    Every to-do is made here (API and pages alike), so the rule holds wherever one is given. An admin sees
    every team but belongs to none: a to-do must land in someone's list of their own team's work.
    """
    rows = []
    for index, item in enumerate(items):
        owner = session.get(User, item.owner_id)
        if owner is None or owner.disabled or owner.role not in CONFINED or owner.team != account.team:
            raise UnprocessableError(f"todos.{index}.owner_id: user {item.owner_id} is not an active member of "
                                     f"team {account.team}", field=f"todos.{index}.owner_id")
        rows.append(Todo(account_id=account.id or 0, title=item.title, owner_id=item.owner_id,
                         due_on=item.due_on, created_by=user.id or 0))
    return rows


def for_account(*, session: Session, user: User, account_id: int, open_only: bool = False) -> list[Todo]:
    """An account's to-dos, open ones first by due date."""
    accounts.get_or_raise(session=session, user=user, account_id=account_id)
    query = select(Todo).where(Todo.account_id == account_id)
    if open_only:
        query = query.where(col(Todo.done_at).is_(None))
    return list(session.exec(query.order_by(col(Todo.done_at).is_not(None), col(Todo.due_on), col(Todo.id))))


def complete(*, session: Session, user: User, todo_id: int) -> Todo:
    """Mark a to-do done, once: of people completing it at once, one wins and the others get a 409 naming
    who completed it and when (its `current` state)."""
    todo = session.get(Todo, todo_id)
    account = session.get(Account, todo.account_id) if todo else None
    if todo is None or account is None or not can_see(user, account.team):
        raise NotFoundError(f"to-do {todo_id} not found")
    # One conditional UPDATE, not read-then-write: two requests that both read "open" must not both win.
    done = session.execute(update(Todo).where(col(Todo.id) == todo_id).where(col(Todo.done_at).is_(None))
                           .values(done_at=utcnow(), done_by=user.id))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(todo)
        raise _completed_already(session, todo)
    session.refresh(todo)  # the UPDATE's values, read back in this transaction; the caller commits
    return todo


def _completed_already(session: Session, todo: Todo) -> ConflictError:
    """The 409 for a to-do someone completed: who and when, in words and as its current state."""
    by = session.get(User, todo.done_by) if todo.done_by is not None else None
    who = f"{by.name} (user {by.id})" if by is not None else f"user {todo.done_by}"
    when = todo.done_at.isoformat() if todo.done_at else "an unknown time"
    return ConflictError(f"to-do {todo.id} was completed already, by {who} at {when}", field="todo_id",
                         extra={"current": TodoPublic.model_validate(todo).model_dump(mode="json")})
