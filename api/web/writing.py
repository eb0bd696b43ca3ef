"""Pages that write: logging a call note or pasting an e-mail on an account page, marking check items."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response
from pydantic import ValidationError

from api.checks import service as checks
from api.checks.models import CheckCreate
from api.deps import ClassifierDep, SessionDep, SettingsDep
from api.errors import PulseError, describe_validation_error
from api.ids import IdForm, IdPath
from api.intake import service as intake
from api.interactions.models import InteractionCreate, InteractionKind
from api.policies import TEAM_READERS
from api.todos import service as todos
from api.users.models import Role
from api.web.forms import human
from api.web.pages import CsrfField, Viewer, allow, back_to, check_csrf, local
from models.labels import Label

router = APIRouter(include_in_schema=False)


@router.post("/app/accounts/{account_id}/interactions")
def log_interaction(account_id: IdPath, session: SessionDep, viewer: Viewer, settings: SettingsDep,
                    classifier: ClassifierDep, csrf_token: CsrfField,
                    body: Annotated[str, Form(max_length=200_000)] = "", kind: Annotated[str, Form()] = "call_note",
                    author: Annotated[str, Form(max_length=300)] = "",
                    occurred_on: Annotated[str, Form(max_length=40)] = "") -> Response:
    """Store and score a call note or a pasted e-mail; back to the account with what the model made of it."""
    check_csrf(viewer, csrf_token)
    user = allow(viewer, TEAM_READERS, "log interactions")
    back = f"/app/accounts/{account_id}#log"
    if not body.strip():
        return back_to(back, viewer, error="The text is empty: write the call note or paste the e-mail.")
    try:
        occurred_at = (datetime.combine(date.fromisoformat(occurred_on.strip()), datetime.min.time(), UTC)
                       if occurred_on.strip() else None)
    except ValueError:
        return back_to(back, viewer, error=f"The date must be a date like 2026-11-28, got {occurred_on!r}.")
    try:
        data = InteractionCreate(account_id=account_id, kind=InteractionKind(kind), body=body,
                                 author=author.strip() or None, occurred_at=occurred_at)
        interaction, suggestion, _ = intake.create(session=session, user=user, data=data, classifier=classifier,
                                                   settings=settings)
    except ValidationError as error:
        return back_to(back, viewer, error=human("; ".join(describe_validation_error(dict(e))["message"]
                                                         for e in error.errors())))
    except ValueError:
        return back_to(back, viewer, error=f"The kind must be one of {', '.join(k.value for k in InteractionKind)}.")
    except PulseError as error:
        if error.status == 404:
            raise
        return back_to(back, viewer, error=human(error.message))
    what = interaction.kind.replace("_", " ")
    shown = "a blind suggestion to decide" if suggestion.blind else f"suggested {suggestion.label}"
    return back_to(f"/app/accounts/{account_id}#s{suggestion.id}", viewer,
                 notice=f"The {what} is stored and scored: {shown}.")


@router.post("/app/todos/{todo_id}/complete")
def complete_todo(todo_id: IdPath, session: SessionDep, viewer: Viewer, csrf_token: CsrfField,
                  next: Annotated[str, Form()] = "/app/queue") -> Response:
    """Mark a to-do done from the account page."""
    check_csrf(viewer, csrf_token)
    user = allow(viewer, TEAM_READERS, "complete to-dos")
    back = local(next, "/app/queue")
    try:
        todo = todos.complete(session=session, user=user, todo_id=todo_id)
        session.commit()
    except PulseError as error:
        if error.status == 404:
            raise
        return back_to(back, viewer, error=human(error.message))
    return back_to(back + "#todos", viewer, notice=f"Done: {todo.title}")


@router.post("/app/checks")
def make_check(session: SessionDep, viewer: Viewer, csrf_token: CsrfField,
               suggestion_id: IdForm, label: Annotated[Label, Form()],
               next: Annotated[str, Form()] = "/app/decisions") -> Response:
    """A lead marks a decided message as a check item with the agreed colour (POST /v1/checks)."""
    check_csrf(viewer, csrf_token)
    user = allow(viewer, (Role.LEAD, Role.ADMIN), "make check items")
    back = local(next, "/app/decisions")
    try:
        made = checks.create(session=session, user=user, data=CheckCreate(suggestion_id=suggestion_id, label=label))
        session.commit()
    except PulseError as error:
        return back_to(back, viewer, error=human(error.message))
    return back_to(back, viewer, notice=f"Check item {made.id} made: the message is re-served to the team's CSMs "
                                        f"with {label.value} as the agreed colour.")
