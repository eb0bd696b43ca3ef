"""The decisions page: the rows behind an audit number, with the API's filters."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import col, select

from api.accounts.models import Account
from api.checks import service as checks
from api.db import Until, as_utc
from api.deps import SessionDep
from api.ids import IdQuery
from api.review import checking, queue
from api.suggestions.models import Scope
from api.users.models import Role, User
from api.web.cards import account_names, suggestion_texts
from api.web.pages import Viewer, allow, render, when
from models.labels import Label

router = APIRouter(include_in_schema=False)


@router.get("/app/decisions", response_class=HTMLResponse)
def decisions_page(request: Request, session: SessionDep, viewer: Viewer, user_id: IdQuery = None,
                   account_id: IdQuery = None, suggestion_id: IdQuery = None, model_version: str | None = None,
                   since: datetime | None = None,
                   until: Until = None, label: Label | None = None, suggested_label: Label | None = None,
                   scope: Scope | None = None, blind: bool | None = None, current: bool | None = None,
                   language: Annotated[str | None, Query(max_length=8)] = None, offset: int = 0,
                   team: Annotated[str | None, Query(max_length=100)] = None) -> HTMLResponse:
    """The decisions behind an audit number, with the same filters as GET /v1/decisions."""
    user = allow(viewer, (Role.CSM, Role.LEAD, Role.DATA_SCIENTIST, Role.ADMIN), "read decisions")
    filters = {"user_id": user_id, "account_id": account_id, "model_version": model_version,
               "since": as_utc(since, "since"), "until": as_utc(until, "until"), "label": label,
               "suggested_label": suggested_label,
               "scope": scope, "blind": blind, "language": language, "suggestion_id": suggestion_id}
    data, count = checking.decisions_for(session, user=user, filters=filters, current=current, limit=200,
                                         offset=min(max(offset, 0), queue.MAX_OFFSET), team=team)
    names = account_names(session, {d.account_id for d in data})
    people = {u.id: u.name for u in session.exec(select(User).where(col(User.id).in_({d.user_id for d in data})))}
    return render(request, "decisions.html", viewer, decisions=data, count=count, names=names, people=people,
                  chips=chips({**filters, "current": current, "team": team}, names, people), offset=offset,
                  texts=suggestion_texts(session, [d.suggestion_id for d in data]),
                  checked=set() if user.role == Role.CSM else checks.checked_messages(
                      session, [d.interaction_id for d in data]))


def chips(filters: dict[str, Any], names: dict[int, Account], people: dict[int | None, str]) -> list[str]:
    """The filters in words, as a person reads them ("person: Dana", "until 7 Dec 2026"); a person or account is
    named only from the rows listed (which the viewer may see), so no link shows another team's names."""
    said: list[str] = []
    for key, value in filters.items():
        if value is None:
            continue
        if key == "user_id":
            said.append(f"person: {people.get(value, 'someone with no decisions listed here')}")
        elif key == "account_id":
            said.append(f"account: {names[value].name if value in names else 'one with no decisions listed here'}")
        elif key in ("since", "until"):
            said.append(("from " if key == "since" else "until ") + _moment(value, key == "until"))
        elif key == "suggestion_id":
            said.append("one message and its changes of mind")
        elif key == "current":
            said.append("only the decisions that stand" if value else "only decisions changed or withdrawn later")
        elif key == "blind":
            said.append("decided blind" if value else "decided with the suggestion shown")
        else:
            said.append(f"{WORDS.get(key, key.replace('_', ' '))}: {getattr(value, 'value', value)}")
    return said


WORDS = {"label": "person chose", "suggested_label": "model said", "model_version": "model version",
         "scope": "about", "language": "language", "team": "team"}


def _moment(value: datetime, inclusive_end: bool) -> str:
    """A filter's time in words: a whole day as its date, anything else to the minute."""
    if inclusive_end and value.time() == time.max or not inclusive_end and value.time() == time.min:
        return when(value.date())
    return when(value)
