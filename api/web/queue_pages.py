"""The CSM's pages: the review queue, and deciding from its cards."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.config import Settings
from api.db import utcnow
from api.decisions.models import DecisionCreate
from api.deps import SessionDep, SettingsDep
from api.errors import PulseError, UnprocessableError
from api.ids import IdPath
from api.policies import TEAM_READERS, team_for_filter
from api.review import checking, queue, undo
from api.review import decide as deciding
from api.scale import parse as parse_scale
from api.suggestions.models import Scope
from api.users.models import Role
from api.web.cards import account_names, card, card_context, decided_words, retry_of
from api.web.forms import human, pulse_context, team_people
from api.web.pages import CsrfField, Viewer, allow, back_to, check_csrf, local, render, with_query
from models.labels import Label

router = APIRouter(include_in_schema=False)
QUEUE_PAGE = 20
NOTE_KEPT = 1000
"""How much of a note a refused save carries back in its address (the rest would make the address too long)."""


@router.get("/app/queue", response_class=HTMLResponse)
def queue_page(request: Request, session: SessionDep, viewer: Viewer, settings: SettingsDep,
               scope: Scope | None = None, cursor: str | None = None) -> HTMLResponse:
    """Pending suggestions, most in need of a person first; the latest decisions below."""
    user = allow(viewer, TEAM_READERS, "review suggestions")
    team = team_for_filter(user, None)
    today = utcnow().date()
    pending, total, next_cursor = queue.queue(session=session, team=team, status="pending", scope=scope,
                                                    account_id=None, limit=QUEUE_PAGE, cursor=cursor, today=today,
                                                    settings=settings, viewer_id=user.id)
    # What was just decided, newest first and the viewer's own first, so a mis-keyed choice is found and changed.
    decided, _, _ = queue.queue(session=session, team=team, status="decided", scope=scope, account_id=None,
                                limit=8, cursor=None, today=today, settings=settings, viewer_id=user.id,
                                own_decided=user.role == Role.CSM, own_first=True)
    names = account_names(session, {s.account_id for s in pending + decided})
    context = card_context(session, pending)
    people = team_people(session, team)
    return render(request, "queue.html", viewer, people_names={p.id: p.name for p in people},
                  cards=[card(s, names, context) for s in pending],
                  decided=[card(s, names) for s in decided], total=total, next_cursor=next_cursor, scope=scope,
                  reasons=reason_lists(settings), stages=settings.lifecycle_stages, retry=retry_of(request),
                  scale=parse_scale(settings.scale, settings.guidelines), people=people)


def reason_lists(settings: Settings) -> dict[str, Any]:
    """The reason lists the decision form offers (sentiment reasons change with the colour)."""
    return {"sentiment": {label.value: reasons for label, reasons in settings.sentiment_reasons.items()},
            "override": settings.override_reasons}


@router.post("/app/suggestions/{suggestion_id}/decide")
def decide(suggestion_id: IdPath, session: SessionDep, viewer: Viewer, settings: SettingsDep, csrf_token: CsrfField,
           label: Annotated[str, Form()] = "", point: Annotated[str, Form(max_length=60)] = "",
           sentiment_reason: Annotated[str, Form()] = "",
           override_reason: Annotated[str, Form()] = "", note: Annotated[str, Form(max_length=5000)] = "",
           viewed_ms: Annotated[str, Form()] = "", idempotency_key: Annotated[str, Form(max_length=200)] = "",
           tags: Annotated[str, Form(max_length=500)] = "", lifecycle_stage: Annotated[str, Form(max_length=50)] = "",
           todo_title: Annotated[str, Form(max_length=300)] = "", todo_owner: Annotated[str, Form(max_length=20)] = "",
           todo_due: Annotated[str, Form(max_length=20)] = "",
           next: Annotated[str, Form()] = "/app/queue") -> Response:
    """Record a decision from the form, then go back to the page it came from."""
    check_csrf(viewer, csrf_token)
    user = allow(viewer, TEAM_READERS, "decide on suggestions")
    back = local(next, "/app/queue")
    try:
        chosen = Label.parse(label) if label else None
        if chosen is None and not point:
            raise UnprocessableError("choose a colour: Red, Yellow or Green", field="label")
        data = DecisionCreate(label=chosen, point=point or None, sentiment_reason=sentiment_reason or None,
                              override_reason=override_reason or None, note=note.strip() or None,
                              viewed_ms=_viewed(viewed_ms),
                              **pulse_context(tags, lifecycle_stage, todo_title, todo_owner, todo_due))
        decision, _ = deciding.decide(session=session, user=user, suggestion_id=suggestion_id, data=data,
                                      idempotency_key=idempotency_key or None, settings=settings)
    except ValidationError as error:
        first = error.errors()[0]
        return back_to(back + f"#s{suggestion_id}", viewer, error=human(
            f"{'.'.join(map(str, first['loc']))}: {first['msg']}"))
    except ValueError as error:
        return back_to(back, viewer, error=human(str(error)))
    except PulseError as error:
        if error.status == 404:
            raise
        # Back to the same card with the colour still chosen and the message beside the field it concerns.
        # What was chosen comes back with it (the reason, the point, a short note), so nothing is chosen twice.
        kept = {"retry": str(suggestion_id), "chosen": chosen.value if chosen else "", "field": error.field or "",
                "reason": sentiment_reason or None, "point": point or None,
                "note": note.strip()[:NOTE_KEPT] if note.strip() else None}
        return back_to(with_query(back, **kept) + f"#s{suggestion_id}", viewer, error=human(error.message))
    suggestion = checking.get_or_raise(session=session, user=user, suggestion_id=suggestion_id)
    message, _ = checking.message_and_answer(session, suggestion)
    recorded = decided_words(session, suggestion, decision, message)
    # A message's decision can be taken back for a few minutes (a roll-up's set the pulse: it is changed instead).
    if suggestion.scope == Scope.INTERACTION:
        back += ("&" if "?" in back else "?") + f"undo={suggestion_id}"
    return back_to(back, viewer, notice=recorded)


@router.post("/app/suggestions/{suggestion_id}/withdraw")
def withdraw(suggestion_id: IdPath, session: SessionDep, viewer: Viewer, csrf_token: CsrfField,
             next: Annotated[str, Form()] = "/app/queue") -> Response:
    """Undo: take back one's own decision made moments ago; the item is back in the queue to decide again."""
    check_csrf(viewer, csrf_token)
    user = allow(viewer, TEAM_READERS, "decide on suggestions")
    back = local(next, "/app/queue")
    try:
        undo.withdraw(session=session, user=user, suggestion_id=suggestion_id)
    except PulseError as error:
        if error.status == 404:
            raise
        return back_to(back, viewer, error=human(error.message))
    return back_to(back + f"#s{suggestion_id}", viewer, notice="Withdrawn: the item is back in the queue.")




def _viewed(value: str) -> int | None:
    try:
        return min(max(int(float(value)), 0), 86_400_000) if value else None
    except ValueError:
        return None
