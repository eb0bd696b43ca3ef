"""HTTP routes for accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.accounts import service
from api.accounts.models import AccountCreate, AccountPublic, AccountsPublic, Timeline
from api.db import utcnow
from api.deps import ClassifierDep, MetricsDep, SessionDep, SettingsDep, require
from api.ids import IdPath
from api.policies import TEAM_READERS, team_for_filter
from api.suggestions import service as suggestions
from api.suggestions.models import SuggestionPublic
from api.users.models import User

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])
TeamMember = Annotated[User, Depends(require(*TEAM_READERS, action="work with accounts"))]


@router.post("", status_code=201, response_model=AccountPublic)
def create_account(data: AccountCreate, session: SessionDep, user: TeamMember, settings: SettingsDep) -> AccountPublic:
    """Create an account in the caller's team."""
    account = service.create(session=session, user=user, data=data)
    return service.public_many(session=session, accounts=[account], settings=settings, today=utcnow().date())[0]


@router.get("", response_model=AccountsPublic)
def list_accounts(session: SessionDep, user: TeamMember, settings: SettingsDep,
                  team: Annotated[str | None, Query(max_length=100)] = None,
                  stale: bool | None = None) -> AccountsPublic:
    """Accounts with their pulse, cadence and staleness."""
    data = service.get_all(session=session, team=team_for_filter(user, team), stale=stale, settings=settings,
                           today=utcnow().date())
    return AccountsPublic(data=data, count=len(data))


@router.get("/{account_id}", response_model=AccountPublic)
def get_account(account_id: IdPath, session: SessionDep, user: TeamMember, settings: SettingsDep) -> AccountPublic:
    """One account."""
    account = service.get_or_raise(session=session, user=user, account_id=account_id)
    return service.public_many(session=session, accounts=[account], settings=settings, today=utcnow().date())[0]


@router.get("/{account_id}/timeline", response_model=Timeline)
def get_timeline(account_id: IdPath, session: SessionDep, user: TeamMember) -> Timeline:
    """The account's interactions, suggestions, decisions and pulse changes, oldest first."""
    account = service.get_or_raise(session=session, user=user, account_id=account_id)
    events = service.timeline(session=session, account=account)
    return Timeline(account_id=account_id, data=events, count=len(events))


@router.post("/{account_id}/suggestions", status_code=201, response_model=SuggestionPublic)
def suggest_for_account(account_id: IdPath, session: SessionDep, user: TeamMember, settings: SettingsDep,
                        classifier: ClassifierDep, metrics: MetricsDep) -> SuggestionPublic:
    """Roll the account's recent interactions up into an account-scope suggestion."""
    account = service.get_or_raise(session=session, user=user, account_id=account_id)
    suggestion = suggestions.roll_up(session=session, account=account, classifier=classifier, settings=settings)
    metrics.suggested(suggestion.scope, suggestion.model_version, suggestion.label)
    return suggestions.public(suggestion)
