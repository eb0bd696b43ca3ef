"""HTTP routes for accounts: each with its pulse, cadence and staleness, its timeline and its roll-up."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.accounts import service as accounts
from api.accounts.models import AccountCreate
from api.db import utcnow
from api.decisions import shown
from api.decisions.shown import SuggestionPublic
from api.deps import ClassifierDep, MetricsDep, SessionDep, SettingsDep, require
from api.ids import IdPath
from api.policies import TEAM_READERS, team_for_filter
from api.pulse import service as pulse
from api.pulse.models import AccountPublic, AccountsPublic, Timeline
from api.pulse.rollup import roll_up
from api.users.models import Role, User

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])
TeamMember = Annotated[User, Depends(require(*TEAM_READERS, action="work with accounts"))]


@router.post("", status_code=201, response_model=AccountPublic)
def create_account(data: AccountCreate, session: SessionDep, user: TeamMember, settings: SettingsDep) -> AccountPublic:
    """Create an account in the caller's team."""
    account = accounts.create(session=session, user=user, data=data)
    session.commit()
    return pulse.public_many(session=session, accounts=[account], settings=settings, today=utcnow().date())[0]


@router.get("", response_model=AccountsPublic)
def list_accounts(session: SessionDep, user: TeamMember, settings: SettingsDep,
                  team: Annotated[str | None, Query(max_length=100)] = None,
                  stale: bool | None = None) -> AccountsPublic:
    """Accounts with their pulse, cadence and staleness."""
    data = pulse.get_all(session=session, team=team_for_filter(user, team), stale=stale, settings=settings,
                           today=utcnow().date())
    return AccountsPublic(data=data, count=len(data))


@router.get("/{account_id}", response_model=AccountPublic)
def get_account(account_id: IdPath, session: SessionDep, user: TeamMember, settings: SettingsDep) -> AccountPublic:
    """One account."""
    account = accounts.get_or_raise(session=session, user=user, account_id=account_id)
    return pulse.public_many(session=session, accounts=[account], settings=settings, today=utcnow().date())[0]


@router.get("/{account_id}/timeline", response_model=Timeline)
def get_timeline(account_id: IdPath, session: SessionDep, user: TeamMember) -> Timeline:
    """The account's interactions, suggestions, decisions and pulse changes, oldest first."""
    account = accounts.get_or_raise(session=session, user=user, account_id=account_id)
    events = pulse.timeline(session=session, account=account, reveal_endpoints=user.role == Role.ADMIN,
                            own_messages_of=user.id if user.role == Role.CSM else None)
    return Timeline(account_id=account_id, data=events, count=len(events))


@router.post("/{account_id}/suggestions", status_code=201, response_model=SuggestionPublic)
def suggest_for_account(account_id: IdPath, session: SessionDep, user: TeamMember, settings: SettingsDep,
                        classifier: ClassifierDep, metrics: MetricsDep) -> SuggestionPublic:
    """Roll the account's recent interactions up into an account-scope suggestion."""
    account = accounts.get_or_raise(session=session, user=user, account_id=account_id)
    suggestion = roll_up(session=session, account=account, classifier=classifier, settings=settings)
    metrics.suggested(suggestion.scope, suggestion.model_version, suggestion.label)
    return shown.public(suggestion)
