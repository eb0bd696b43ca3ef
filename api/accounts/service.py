"""Accounts: creation within a team, and reads scoped to the caller's team."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.accounts.models import Account, AccountCreate, AccountDomain
from api.errors import ConflictError, ForbiddenError, NotFoundError, UnprocessableError
from api.policies import can_see
from api.users.models import Role, User


def create(*, session: Session, user: User, data: AccountCreate) -> Account:
    """Create an account in the caller's team (an admin names any team)."""
    if user.role == Role.ADMIN:
        if not data.team:
            raise UnprocessableError("team is required when an admin creates an account", field="team")
        team = data.team
    else:
        if data.team is not None and data.team != user.team:
            raise ForbiddenError(f"team: a {user.role} creates accounts only in their own team ({user.team})")
        team = user.team or ""
    if data.owner_id is not None:
        owner = session.get(User, data.owner_id)
        if owner is None or owner.team != team:
            raise UnprocessableError(f"owner_id {data.owner_id} is not a user of team {team}", field="owner_id")
    taken = session.exec(select(AccountDomain).where(col(AccountDomain.domain).in_(data.email_domains))).all()
    if taken:
        raise ConflictError(f"email domain {taken[0].domain} already belongs to another account", field="email_domains")
    account = Account(**data.model_dump(exclude={"team", "email_domains"}), team=team)
    session.add(account)
    try:
        session.flush()
        for domain in data.email_domains:
            session.add(AccountDomain(domain=domain, account_id=account.id or 0))
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ConflictError(f"team {team} already has an account with external_id {data.external_id!r}, or one "
                            "of its email domains was just taken", field="external_id") from None
    session.refresh(account)
    return account


def get_or_raise(*, session: Session, user: User, account_id: int) -> Account:
    """An account the user may see; another team's answers exactly like a missing one."""
    account = session.get(Account, account_id)
    if account is None or not can_see(user, account.team):
        raise NotFoundError(f"account {account_id} not found")
    return account
