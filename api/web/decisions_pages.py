"""The decisions page: the rows behind an audit number, with the API's filters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import col, select

from api.checks import service as checks
from api.db import Until, as_utc
from api.deps import SessionDep
from api.ids import IdQuery
from api.review import checking, queue
from api.suggestions.models import Scope
from api.users.models import Role, User
from api.web.cards import account_names, suggestion_texts
from api.web.pages import Viewer, allow, render
from models.labels import Label

router = APIRouter(include_in_schema=False)


@router.get("/app/decisions", response_class=HTMLResponse)
def decisions_page(request: Request, session: SessionDep, viewer: Viewer, user_id: IdQuery = None,
                   account_id: IdQuery = None, model_version: str | None = None, since: datetime | None = None,
                   until: Until = None, label: Label | None = None, suggested_label: Label | None = None,
                   scope: Scope | None = None, blind: bool | None = None, current: bool | None = None,
                   language: Annotated[str | None, Query(max_length=8)] = None, offset: int = 0) -> HTMLResponse:
    """The decisions behind an audit number, with the same filters as GET /v1/decisions."""
    user = allow(viewer, (Role.CSM, Role.LEAD, Role.DATA_SCIENTIST, Role.ADMIN), "read decisions")
    filters = {"user_id": user_id, "account_id": account_id, "model_version": model_version,
               "since": as_utc(since, "since"), "until": as_utc(until, "until"), "label": label,
               "suggested_label": suggested_label,
               "scope": scope, "blind": blind, "language": language}
    data, count = checking.decisions_for(session, user=user, filters=filters, current=current, limit=200,
                                         offset=min(max(offset, 0), queue.MAX_OFFSET))
    names = account_names(session, {d.account_id for d in data})
    people = {u.id: u.name for u in session.exec(select(User).where(col(User.id).in_({d.user_id for d in data})))}
    shown = {k: v for k, v in {**filters, "current": current}.items() if v is not None}
    return render(request, "decisions.html", viewer, decisions=data, count=count, names=names, people=people,
                  filters=shown, offset=offset, texts=suggestion_texts(session, [d.suggestion_id for d in data]),
                  checked=set() if user.role == Role.CSM else checks.checked_messages(
                      session, [d.interaction_id for d in data]))
