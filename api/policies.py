"""Who may do and see what: the one place for roles and team visibility.

A csm or a lead is confined to their own team; an admin sees every team; a data scientist works with
labels and model versions across teams but reads no account. Another team's object answers 404, exactly
like a missing one (the services use `can_see`); a role that may not call something gets 403 naming the
roles that may (`check_role`, used by the API's `require` and by the pages alike).
"""

from __future__ import annotations

from collections.abc import Iterable

from api.errors import ForbiddenError
from api.users.models import Role, User

TEAM_READERS = (Role.CSM, Role.LEAD, Role.ADMIN)
CONFINED = (Role.CSM, Role.LEAD)


def named(roles: Iterable[Role]) -> str:
    """Roles in words: "csm, lead or admin"."""
    names = [r.value for r in roles]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def check_role(user: User, roles: tuple[Role, ...], action: str) -> User:
    """The user, if their role may do this; otherwise 403 naming the action and the roles that may."""
    if user.role not in roles:
        raise ForbiddenError(f"role {user.role} cannot {action}; it needs {named(roles)}")
    return user


def confined_team(user: User) -> str | None:
    """The one team a csm or lead is confined to; None for a role that is not confined to a team."""
    return user.team if user.role in CONFINED else None


def visible_team(user: User) -> str | None:
    """The one team a user may see accounts of, or None when every team; a role that reads none gets 403."""
    if user.role not in TEAM_READERS:
        raise ForbiddenError(f"role {user.role} cannot read accounts; it needs {named(TEAM_READERS)}")
    return confined_team(user)


def can_see(user: User, team: str) -> bool:
    """Whether a user may see an object of this team."""
    if user.role == Role.ADMIN:
        return True
    return user.role in CONFINED and user.team == team


def team_for_filter(user: User, requested: str | None) -> str | None:
    """The team a listing is confined to: a csm or lead gets their own and may not ask for another."""
    own = confined_team(user)
    if own is None:
        return requested
    if requested is not None and requested != own:
        raise ForbiddenError(f"team: a {user.role} reads only their own team ({own}), not {requested!r}")
    return own
