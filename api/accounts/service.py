"""Accounts: creation within a team, and reads scoped to the caller's team."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.accounts.models import Account, AccountCreate, AccountDomain
from api.errors import ConflictError, ForbiddenError, NotFoundError, UnprocessableError
from api.policies import can_see
from api.users.models import Role, User

PUBLIC_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "ymail.com", "outlook.com",
    "hotmail.com", "hotmail.co.uk", "hotmail.fr", "hotmail.de", "live.com", "msn.com", "icloud.com", "me.com",
    "mac.com", "aol.com", "gmx.com", "gmx.de", "gmx.net", "web.de", "t-online.de", "mail.ru", "yandex.ru",
    "yandex.com", "proton.me", "protonmail.com", "zoho.com", "qq.com", "163.com", "126.com", "naver.com",
    "orange.fr", "free.fr", "laposte.net", "libero.it", "virgilio.it", "wp.pl", "o2.pl", "seznam.cz", "uol.com.br",
    "bol.com.br", "terra.com.br", "fastmail.com", "hey.com", "mail.com",
})
"""Domains whose senders are anyone: never an account's."""


FREE_MAIL_BRANDS = frozenset({
    "gmail", "googlemail", "yahoo", "ymail", "rocketmail", "hotmail", "outlook", "live", "msn", "aol", "gmx",
    "icloud", "protonmail", "proton", "yandex", "zoho", "libero", "tutanota", "tuta", "fastmail", "mail", "email",
    "inbox", "posteo", "mailbox",
})
"""Free-mail providers by name, under any public suffix (hotmail.it, yahoo.com.br, outlook.de, mail.ru)."""


@cache
def _suffixes() -> Any:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def unclaimable(domain: str) -> str | None:
    """Why no account may claim a domain (a public suffix, a free-mail provider), or None."""
    if _suffixes().is_public(domain):
        return "is a public suffix that many organisations' addresses end in"
    registrable = _suffixes().privatesuffix(domain) or domain
    if domain in PUBLIC_MAIL_DOMAINS or registrable.split(".")[0] in FREE_MAIL_BRANDS:
        return "is a public mail provider; its senders are not one company"
    return None


def overlapping(session: Session, domains: list[str], team: str) -> list[tuple[str, str]]:
    """(domain, claimed domain) pairs where a wanted domain lies inside or above another team's claim."""
    found = []
    for domain in session.execute(sa_select(col(AccountDomain.domain))
                                  .join(Account, col(Account.id) == col(AccountDomain.account_id))
                                  .where(col(Account.team) != team)).scalars():
        found += [(d, domain) for d in domains if d.endswith("." + domain) or domain.endswith("." + d)]
    return found


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
    if (data.email_domains or data.external_id) and user.role not in (Role.ADMIN, Role.LEAD):
        # Domains and external ids route ingested mail and imported signals to this account: they are claims
        # only a lead or an admin makes (README, Security: ingestion routing).
        field = "email_domains" if data.email_domains else "external_id"
        raise ForbiddenError(f"{field}: a {user.role} cannot set an account's {field.replace('_', ' ')}, which "
                             "routes ingested mail; a lead of the team or an admin can", field=field)
    for domain in data.email_domains:
        if why := unclaimable(domain):
            raise UnprocessableError(f"email_domains: {domain} {why}, so mail cannot be matched by it",
                                     field="email_domains")
    if data.owner_id is not None:
        owner = session.get(User, data.owner_id)
        if owner is None or owner.team != team:
            raise UnprocessableError(f"owner_id {data.owner_id} is not a user of team {team}", field="owner_id")
    taken = session.exec(select(AccountDomain).where(col(AccountDomain.domain).in_(data.email_domains))).all()
    if taken:
        # Said alike whichever team holds it: the answer must not tell one team about another's accounts.
        raise ConflictError(f"email domain {taken[0].domain} is already assigned; an admin can move it",
                            field="email_domains")
    for domain, other in overlapping(session, data.email_domains, team):
        # A sub-domain of another team's claim (or a parent of one) would take that team's mail from it.
        raise ConflictError(f"email domain {domain} lies inside or above {other}, which is already assigned; an "
                            "admin can assign it", field="email_domains")
    if data.external_id is not None and session.exec(select(Account.id).where(
            Account.external_id == data.external_id)).first() is not None:
        # An external id routes ingested text and imported signals, so it names one account across all teams:
        # a second one elsewhere would make the first team's messages ambiguous. Said alike whichever team holds it.
        raise ConflictError(f"external_id {data.external_id!r} is already assigned to an account; an admin can "
                            "move it", field="external_id")
    account = Account(**data.model_dump(exclude={"team", "email_domains"}), team=team)
    session.add(account)
    try:
        session.flush()
        for domain in data.email_domains:
            session.add(AccountDomain(domain=domain, account_id=account.id or 0))
        session.flush()
    except IntegrityError:
        session.rollback()  # a failed flush leaves nothing to keep in this transaction
        raise ConflictError(f"external_id {data.external_id!r} is already assigned to an account, or one of "
                            "its email domains was just taken", field="external_id") from None
    session.refresh(account)
    return account


def get_or_raise(*, session: Session, user: User, account_id: int) -> Account:
    """An account the user may see; another team's answers exactly like a missing one."""
    account = session.get(Account, account_id)
    if account is None or not can_see(user, account.team):
        raise NotFoundError(f"account {account_id} not found")
    return account
