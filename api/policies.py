"""Who may see what: csm and lead are confined to their own team; admin sees every team."""

from __future__ import annotations

from api.errors import ForbiddenError
from api.users.models import Role, User

TEAM_READERS = (Role.CSM, Role.LEAD, Role.ADMIN)


def visible_team(user: User) -> str | None:
    """The one team a user may see, or None when the user may see every team."""
    if user.role == Role.ADMIN:
        return None
    if user.role in (Role.CSM, Role.LEAD):
        return user.team
    raise ForbiddenError(f"role {user.role} cannot read accounts; it needs csm, lead or admin")


def can_see(user: User, team: str) -> bool:
    """Whether a user may see an object of this team."""
    if user.role == Role.ADMIN:
        return True
    return user.role in (Role.CSM, Role.LEAD) and user.team == team


def team_for_filter(user: User, requested: str | None) -> str | None:
    """The team a listing is confined to: a csm or lead gets their own and may not ask for another."""
    own = visible_team(user)
    if own is None:
        return requested
    if requested is not None and requested != own:
        raise ForbiddenError(f"team: a {user.role} reads only their own team ({own}), not {requested!r}")
    return own
