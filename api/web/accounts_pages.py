"""Account pages: the team's accounts, one account's pulse, messages and roll-up."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import col, select

from api.accounts import service as accounts
from api.db import utcnow
from api.deps import ClassifierDep, SessionDep, SettingsDep
from api.errors import UnprocessableError
from api.ids import IdPath
from api.interactions.models import Interaction, InteractionKind
from api.policies import TEAM_READERS, confined_team, team_for_filter
from api.pulse import rollup
from api.pulse import service as pulse
from api.review import queue
from api.scale import parse as parse_scale
from api.suggestions.models import Scope
from api.todos.service import for_account as todo_list
from api.users.models import Role
from api.web import charts
from api.web.cards import card, card_context, retry_of
from api.web.forms import team_people
from api.web.pages import CsrfField, Viewer, allow, back_to, check_csrf, render
from api.web.queue_pages import reason_lists

router = APIRouter(include_in_schema=False)


@router.get("/app/accounts", response_class=HTMLResponse)
def accounts_page(request: Request, session: SessionDep, viewer: Viewer, settings: SettingsDep,
                  stale: bool | None = None) -> HTMLResponse:
    """The team's accounts with pulse, cadence and due date; `?stale=true` lists the overdue ones."""
    user = allow(viewer, TEAM_READERS, "read accounts")
    listed = pulse.get_all(session=session, team=team_for_filter(user, None), stale=stale, settings=settings,
                              today=utcnow().date())
    # Whoever reads every team (an admin) sees which team each account is in.
    return render(request, "accounts.html", viewer, accounts=listed, stale=stale,
                  all_teams=confined_team(user) is None)


@router.get("/app/accounts/{account_id}", response_class=HTMLResponse)
def account_page(account_id: IdPath, request: Request, session: SessionDep, viewer: Viewer,
                 settings: SettingsDep) -> HTMLResponse:
    """One account: its pulse over time, the roll-up to decide, its interactions and decisions."""
    user = allow(viewer, TEAM_READERS, "read accounts")
    account = accounts.get_or_raise(session=session, user=user, account_id=account_id)
    [shown] = pulse.public_many(session=session, accounts=[account], settings=settings, today=utcnow().date())
    events = pulse.timeline(session=session, account=account, reveal_endpoints=viewer.user.role == Role.ADMIN,
                            own_messages_of=user.id if user.role == Role.CSM else None)
    points = [charts.Point(e.at, e.label, e.type == "decision", e.summary) for e in events
              if e.label and e.type in ("decision", "suggestion") and e.detail.get("scope") == Scope.ACCOUNT]
    pending, _, _ = queue.queue(session=session, team=account.team, status="pending", scope=None,
                                      account_id=account_id, limit=50, cursor=None, today=utcnow().date(),
                                      settings=settings, viewer_id=viewer.user.id)
    names = {account_id: account}
    interactions = list(session.exec(select(Interaction).where(Interaction.account_id == account_id)
                                     .order_by(col(Interaction.occurred_at).desc()).limit(100)))
    context = card_context(session, pending)
    return render(request, "account.html", viewer, account=shown, chart=charts.pulse_chart(points),
                  cards=[card(s, names, context) for s in pending], interactions=interactions,
                  retry=retry_of(request), kinds=[k.value for k in InteractionKind],
                  scale=parse_scale(settings.scale, settings.guidelines), people=team_people(session, account.team),
                  todos=todo_list(session=session, user=user, account_id=account_id),
                  events=[e for e in reversed(events) if e.type in ("decision", "pulse_change")][:50],
                  reasons=reason_lists(settings), stages=settings.lifecycle_stages)


@router.post("/app/accounts/{account_id}/rollup")
def roll_up(account_id: IdPath, session: SessionDep, viewer: Viewer, settings: SettingsDep, classifier: ClassifierDep,
            csrf_token: CsrfField) -> Response:
    """Roll the account's recent interactions up into a suggestion to decide."""
    check_csrf(viewer, csrf_token)
    user = allow(viewer, TEAM_READERS, "roll accounts up")
    account = accounts.get_or_raise(session=session, user=user, account_id=account_id)
    back = f"/app/accounts/{account_id}"
    try:
        made = rollup.roll_up(session=session, account=account, classifier=classifier, settings=settings)
    except UnprocessableError as error:
        return back_to(back, viewer, error=error.message)
    return back_to(back, viewer, notice=f"Roll-up suggestion {made.id} made from the recent interactions.")
